/// The dynamic-pricing migration: payments may be `held`, holds and their captures, the oracle's rates, and each
/// channel's carried sub-unit remainder.
extension SQLiteSchema {
    /// SQLite cannot change a CHECK in place, so `payments` is rebuilt with the same columns and indexes and the
    /// `held` status allowed; nothing else references it.
    static let pricingMigration = """
        CREATE TABLE payments_with_holds (
            receipt_id BLOB PRIMARY KEY CHECK (length(receipt_id) = 32),
            grant_id BLOB NOT NULL REFERENCES grants (grant_id),
            payee TEXT NOT NULL,
            amount TEXT NOT NULL CHECK (\(canonicalAmount("amount"))),
            charged_cumulative_amount TEXT NOT NULL,
            remaining_limit TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            call_index INTEGER NOT NULL,
            request_binding BLOB NOT NULL,
            issued_at INTEGER NOT NULL,
            service TEXT NOT NULL,
            method TEXT NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('charged', 'voided', 'held')),
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL
        ) STRICT;
        INSERT INTO payments_with_holds SELECT receipt_id, grant_id, payee, amount, charged_cumulative_amount,
            remaining_limit, sequence, call_index, request_binding, issued_at, service, method, target, status,
            created_at_ms, updated_at_ms FROM payments;
        DROP TABLE payments;
        ALTER TABLE payments_with_holds RENAME TO payments;
        CREATE INDEX payments_by_grant ON payments (grant_id, created_at_ms);
        CREATE INDEX payments_by_creation ON payments (created_at_ms, receipt_id);

        CREATE TABLE payment_holds (
            receipt_id BLOB PRIMARY KEY REFERENCES payments (receipt_id),
            amount TEXT NOT NULL CHECK (\(canonicalAmount("amount"))),
            terms TEXT NOT NULL,
            expires_at_ms INTEGER NOT NULL,
            captured_amount TEXT CHECK (captured_amount IS NULL OR (\(canonicalAmount("captured_amount")))),
            captured_usage TEXT,
            captured_breakdown TEXT,
            over_hold INTEGER,
            captured_at_ms INTEGER,
            released_at_ms INTEGER
        ) STRICT;
        CREATE INDEX payment_holds_open ON payment_holds (expires_at_ms)
            WHERE captured_at_ms IS NULL AND released_at_ms IS NULL;

        CREATE TABLE rate_overrides (
            service_id TEXT NOT NULL,
            rate_id TEXT NOT NULL,
            document TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            PRIMARY KEY (service_id, rate_id)
        ) STRICT;

        CREATE TABLE channel_carriers (
            grant_id BLOB NOT NULL,
            payee TEXT NOT NULL,
            carrier TEXT NOT NULL,
            PRIMARY KEY (grant_id, payee)
        ) STRICT;
        """
}
