/// Migration 2 of `SQLiteSchema`: the metering tables (docs/METERING.md). Amounts are canonical decimal TEXT of
/// base units, as in migration 1; a session's plan, carrier and statement live in its JSON document, the columns
/// hold what SQL filters on.
enum SQLiteMeteringSchema {
    static let migration = """
        CREATE TABLE metering_accounts (
            account_id TEXT PRIMARY KEY,
            asset_symbol TEXT NOT NULL,
            asset_decimals INTEGER NOT NULL,
            balance TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("balance"))),
            topped_up TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("topped_up"))),
            spent TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("spent"))),
            refill_level TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("refill_level"))),
            low_balance_ppm INTEGER NOT NULL CHECK (low_balance_ppm BETWEEN 0 AND 1000000),
            low_balance_reference TEXT,
            low_balance_alerted INTEGER NOT NULL CHECK (low_balance_alerted IN (0, 1)),
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE meter_sessions (
            session_id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES metering_accounts (account_id),
            state TEXT NOT NULL CHECK (state IN ('active', 'paused', 'stopped')),
            stop_reason TEXT CHECK ((state = 'stopped') = (stop_reason IS NOT NULL)),
            charged TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("charged"))),
            next_due_at_ms INTEGER,
            document TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX meter_sessions_due ON meter_sessions (next_due_at_ms, session_id)
            WHERE next_due_at_ms IS NOT NULL;
        CREATE INDEX meter_sessions_by_account ON meter_sessions (account_id, created_at_ms);

        CREATE TABLE usage_events (
            session_id TEXT NOT NULL REFERENCES meter_sessions (session_id),
            event_id TEXT NOT NULL,
            occurred_at_ms INTEGER NOT NULL,
            quantities TEXT NOT NULL,
            dimensions TEXT,
            collected TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("collected"))),
            recorded_at_ms INTEGER NOT NULL,
            sequence INTEGER NOT NULL,
            PRIMARY KEY (session_id, event_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX usage_events_by_sequence ON usage_events (session_id, sequence);

        -- The account ledger: every credit (top-up) and debit (a session update's charge) with the balance after it.
        CREATE TABLE account_entries (
            entry_id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES metering_accounts (account_id),
            kind TEXT NOT NULL CHECK (kind IN ('top_up', 'debit')),
            top_up_id TEXT UNIQUE CHECK ((kind = 'top_up') = (top_up_id IS NOT NULL)),
            session_id TEXT CHECK ((kind = 'debit') = (session_id IS NOT NULL)),
            amount TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("amount"))),
            balance_after TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("balance_after"))),
            at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX account_entries_by_account ON account_entries (account_id, kind, at_ms);

        CREATE TABLE metering_events (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            account_id TEXT NOT NULL,
            session_id TEXT,
            at_ms INTEGER NOT NULL,
            balance TEXT NOT NULL,
            threshold TEXT,
            reason TEXT,
            delivery TEXT NOT NULL CHECK (delivery IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL,
            next_attempt_at_ms INTEGER
        ) STRICT;
        CREATE INDEX metering_events_pending ON metering_events (next_attempt_at_ms, sequence) WHERE delivery = 'pending';
        CREATE INDEX metering_events_by_account ON metering_events (account_id, sequence);
        CREATE INDEX metering_events_by_session ON metering_events (session_id, sequence);
        """
}
