/// Migration 4 of `SQLiteSchema`: settlements, each channel's settled amount, and the embedded ledger
/// (docs/SETTLEMENT.md). Amounts are canonical decimal TEXT of base units, as everywhere else.
enum SQLiteSettlementSchema {
    static let migration = """
        -- Per channel: what confirmed settlements paid in total, and the retry bookkeeping of failed ones.
        CREATE TABLE settlement_channels (
            grant_id BLOB NOT NULL REFERENCES grants (grant_id),
            payee TEXT NOT NULL,
            settled TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("settled"))),
            -- The open (due or submitted) settlement this channel is in: at most one at a time.
            open_batch_id TEXT REFERENCES settlements (batch_id),
            failed_attempts INTEGER NOT NULL CHECK (failed_attempts >= 0),
            retry_at_ms INTEGER,
            parked INTEGER NOT NULL CHECK (parked IN (0, 1)),
            -- When the claims of the last confirmed settlement were cut: charges before it are settled or voided.
            settled_cut_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            PRIMARY KEY (grant_id, payee)
        ) STRICT;

        CREATE TABLE settlements (
            batch_id TEXT PRIMARY KEY,
            rail TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('due', 'submitted', 'confirmed', 'failed')),
            reasons TEXT NOT NULL,
            prepared_reference TEXT,
            prepared_payload BLOB,
            attempt INTEGER NOT NULL CHECK (attempt >= 1),
            failure_reason TEXT,
            total TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("total"))),
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            -- Prepared before it is broadcast: a submitted or confirmed settlement always has its reference.
            CHECK (state IN ('due', 'failed') OR prepared_reference IS NOT NULL)
        ) STRICT;
        CREATE INDEX settlements_by_state ON settlements (state, created_at_ms, batch_id);

        CREATE TABLE settlement_claims (
            batch_id TEXT NOT NULL REFERENCES settlements (batch_id),
            position INTEGER NOT NULL,
            grant_id BLOB NOT NULL,
            payee TEXT NOT NULL,
            voucher TEXT NOT NULL,
            charged TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("charged"))),
            settled_before TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("settled_before"))),
            target TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("target"))),
            confirmed TEXT,
            PRIMARY KEY (batch_id, position)
        ) STRICT;
        CREATE INDEX settlement_claims_by_channel ON settlement_claims (grant_id, payee);

        -- The embedded ledger (PBLedger): accounts with their four amounts, transfers in journal order.
        CREATE TABLE ledger_accounts (
            account_id TEXT PRIMARY KEY,
            asset TEXT NOT NULL,
            balance_constraint TEXT NOT NULL
                CHECK (balance_constraint IN ('none', 'debitsMustNotExceedCredits', 'creditsMustNotExceedDebits')),
            debits_posted TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("debits_posted"))),
            credits_posted TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("credits_posted"))),
            debits_pending TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("debits_pending"))),
            credits_pending TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("credits_pending")))
        ) STRICT;

        CREATE TABLE ledger_transfers (
            journal_position INTEGER PRIMARY KEY,
            transfer_id TEXT NOT NULL UNIQUE,
            debit_account_id TEXT NOT NULL REFERENCES ledger_accounts (account_id),
            credit_account_id TEXT NOT NULL REFERENCES ledger_accounts (account_id),
            amount TEXT NOT NULL CHECK (\(SQLiteSchema.canonicalAmount("amount"))),
            kind TEXT NOT NULL CHECK (kind IN ('single', 'pending', 'post_pending', 'void_pending')),
            pending_id TEXT CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
            timeout_seconds INTEGER,
            -- Holds only: open, posted, voided or expired.
            pending_state TEXT CHECK ((kind = 'pending') = (pending_state IS NOT NULL)),
            timestamp_s INTEGER NOT NULL,
            code TEXT NOT NULL
        ) STRICT;
        CREATE INDEX ledger_open_holds ON ledger_transfers (timestamp_s) WHERE pending_state = 'open';

        -- What became of each settlement batch on the ledger, written with its transfers.
        CREATE TABLE ledger_batches (
            batch_id TEXT PRIMARY KEY,
            outcome TEXT NOT NULL CHECK (outcome IN ('posted', 'rejected')),
            settled TEXT NOT NULL,
            reason TEXT,
            at_ms INTEGER NOT NULL
        ) STRICT;
        """
}
