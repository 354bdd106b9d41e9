import PBCore
import PBStore

/// The database schema as an ordered list of migrations. A migration, once released, never changes: a new one is
/// appended. Each runs in its own transaction together with its row in `schema_migrations`, so a crash leaves the
/// database at a whole version.
///
/// Money is decimal TEXT (UInt128 does not fit SQLite's 64-bit integers and REAL would round); the CHECKs keep the
/// text canonical (digits, no leading zero), which makes "shorter, or same length and smaller" a numeric order
/// that the grants table uses to refuse, in SQL too, a spent amount above the limit.
enum SQLiteSchema {
    static let migrations: [String] = [
        """
        CREATE TABLE grants (
            grant_id BLOB PRIMARY KEY CHECK (length(grant_id) = 32),
            document TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'revoked')),
            status_reason TEXT,
            spent TEXT NOT NULL CHECK (\(canonicalAmount("spent"))),
            total_limit TEXT NOT NULL CHECK (\(canonicalAmount("total_limit"))),
            registered_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            CHECK (length(spent) < length(total_limit)
                OR (length(spent) = length(total_limit) AND spent <= total_limit))
        ) STRICT;
        CREATE INDEX grants_by_registration ON grants (registered_at_ms, grant_id);

        CREATE TABLE channels (
            grant_id BLOB NOT NULL REFERENCES grants (grant_id),
            payee TEXT NOT NULL,
            charged TEXT NOT NULL CHECK (\(canonicalAmount("charged"))),
            last_sequence INTEGER NOT NULL,
            latest_voucher TEXT,
            window_id BLOB,
            window_sequence INTEGER,
            window_ceiling TEXT,
            window_valid_until INTEGER,
            window_session_public_key BLOB,
            window_highest_call_index INTEGER,
            window_used_calls BLOB CHECK (window_used_calls IS NULL OR length(window_used_calls) = 128),
            PRIMARY KEY (grant_id, payee)
        ) STRICT;

        CREATE TABLE payments (
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
            status TEXT NOT NULL CHECK (status IN ('charged', 'voided')),
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX payments_by_grant ON payments (grant_id, created_at_ms);
        CREATE INDEX payments_by_creation ON payments (created_at_ms, receipt_id);

        CREATE TABLE services (
            service_id TEXT PRIMARY KEY,
            document TEXT NOT NULL
        ) STRICT;

        CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            secret_hash BLOB NOT NULL UNIQUE,
            secret_prefix TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            revoked_at_ms INTEGER
        ) STRICT;

        CREATE TABLE idempotent_responses (
            idempotency_key TEXT PRIMARY KEY,
            request_hash BLOB NOT NULL,
            status INTEGER NOT NULL,
            body BLOB NOT NULL,
            created_at_ms INTEGER NOT NULL
        ) STRICT;
        """,
        pricingMigration,
        // 3: prepaid accounts, stream sessions, usage events, the account ledger and merchant events.
        SQLiteMeteringSchema.migration,
        // 4: Sentinel's event log, and its documents (the engine's snapshot, a policy put through the API).
        """
        CREATE TABLE sentinel_events (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            subject_kind TEXT NOT NULL CHECK (subject_kind IN ('key', 'owner')),
            subject TEXT NOT NULL,
            kind TEXT NOT NULL,
            severity TEXT NOT NULL,
            rule_id TEXT,
            action TEXT,
            details TEXT NOT NULL,
            occurred_at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX sentinel_events_by_subject ON sentinel_events (subject, sequence);

        CREATE TABLE sentinel_documents (
            name TEXT PRIMARY KEY,
            document BLOB NOT NULL,
            updated_at_ms INTEGER NOT NULL
        ) STRICT;
        """,
        // 5: the alert dispatcher's delivery log and dead-letter list.
        SQLiteAlertSchema.migration,
        // 6: settlements, channels' settled amounts and the embedded ledger (docs/SETTLEMENT.md).
        SQLiteSettlementSchema.migration,
        // 7: the EVM rail's signed transactions, its nonce allocator (SQLiteGatewayStore+EVMTransactions.swift).
        SQLiteGatewayStore.evmTransactionsMigration,
    ]

    /// Digits only, without a leading zero unless the amount is 0.
    static func canonicalAmount(_ column: String) -> String {
        "\(column) <> '' AND \(column) NOT GLOB '*[^0-9]*' AND (\(column) = '0' OR \(column) NOT GLOB '0*')"
    }

    /// Brings the database to the newest version, one migration per transaction.
    static func migrate(_ connection: SQLiteConnection, at time: UnixTime) throws(StoreError) {
        try connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)"
        )
        let applied = try connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].integer(0)
        guard applied <= Int64(migrations.count) else {
            throw StoreError(
                "the database is at schema version \(applied), newer than this build knows (\(migrations.count))")
        }
        for (offset, sql) in migrations.enumerated() where Int64(offset + 1) > applied {
            try connection.transaction { () throws(StoreError) in
                try connection.execute(sql)
                try connection.query(
                    "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)",
                    [.integer(Int64(offset + 1)), .integer(time.milliseconds)])
            }
        }
    }
}
