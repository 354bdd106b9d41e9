import PBCore
import PBLedger
import PBStore

/// The embedded ledger in SQLite: an operation loads the accounts and transfers it touches into a partial
/// `Ledger`, applies itself there (PBLedger decides every rule), and writes back what changed, in one transaction.
extension SQLiteGatewayStore {
    public func settleOnLedger(
        batchId: String, accountIds: [String], transferIds: [String], _ body: (inout Ledger) -> LedgerBatchOutcome
    ) async throws -> LedgerBatchOutcome {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> LedgerBatchOutcome in
                if let outcome = try Self.ledgerBatchOutcome(batchId, in: database) { return outcome }
                let before = try Self.partialLedger(accountIds: accountIds, transferIds: transferIds, in: database)
                var ledger = before
                let outcome = body(&ledger)
                // A refused batch writes no transfer: only its outcome, so the rail answers the same from now on.
                if case .posted = outcome { try Self.writeChanges(from: before, to: ledger, in: database) }
                let (name, settled, reason): (String, [UInt128], String?) =
                    switch outcome {
                    case .posted(let amounts): ("posted", amounts, nil)
                    case .rejected(let why): ("rejected", [], why)
                    }
                try database.query(
                    "INSERT INTO ledger_batches (batch_id, outcome, settled, reason, at_ms) VALUES (?, ?, ?, ?, ?)",
                    [
                        .text(batchId), .text(name), .text(settled.map { String($0) }.joined(separator: ",")),
                        .optionalText(reason), .time(SystemWallClock().now),
                    ])
                return outcome
            }
        }
    }

    public func ledgerBatchOutcome(_ batchId: String) async throws -> LedgerBatchOutcome? {
        try withConnection { (database) throws(StoreError) in try Self.ledgerBatchOutcome(batchId, in: database) }
    }

    public func applyLedgerTransfers(
        _ transfers: [LedgerTransfer], opening accounts: [LedgerAccount], linked: Bool, at timestampSeconds: Int64
    ) async throws -> [LedgerResult] {
        var accountIds = Set(accounts.map(\.id))
        var transferIds = Set(transfers.map(\.id))
        for transfer in transfers {
            accountIds.formUnion([transfer.debitAccountId, transfer.creditAccountId])
            switch transfer.kind {
            case .postPending(let pendingId), .voidPending(let pendingId): transferIds.insert(pendingId)
            case .single, .pending: break
            }
        }
        return try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> [LedgerResult] in
                let before = try Self.partialLedger(
                    accountIds: Array(accountIds), transferIds: Array(transferIds), in: database)
                var ledger = before
                for account in accounts {
                    do { try ledger.open(account) } catch { throw StoreError("\(error)") }
                }
                let results = ledger.apply(transfers, at: timestampSeconds, linked: linked)
                try Self.writeChanges(from: before, to: ledger, in: database)
                return results
            }
        }
    }

    public func expireLedgerHolds(at timestampSeconds: Int64, limit: Int) async throws -> [String] {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> [String] in
                let rows = try database.query(
                    """
                    SELECT transfer_id, debit_account_id, credit_account_id FROM ledger_transfers
                    WHERE pending_state = 'open' AND timeout_seconds IS NOT NULL AND timestamp_s + timeout_seconds <= ?
                    ORDER BY timestamp_s LIMIT ?
                    """, [.integer(timestampSeconds), .integer(Int64(min(max(limit, 1), 1_000)))])
                var transferIds: [String] = [], accountIds: Set<String> = []
                for row in rows {
                    transferIds.append(try row.text(0))
                    accountIds.formUnion([try row.text(1), try row.text(2)])
                }
                let before = try Self.partialLedger(
                    accountIds: Array(accountIds), transferIds: transferIds, in: database)
                var ledger = before
                let expired = ledger.expirePending(at: timestampSeconds)
                try Self.writeChanges(from: before, to: ledger, in: database)
                return expired
            }
        }
    }

    public func ledgerAccounts(_ ids: [String]) async throws -> [LedgerAccount] {
        try withConnection { (database) throws(StoreError) in try Self.ledgerAccounts(ids, in: database) }
    }

    public func loadLedger() async throws -> Ledger {
        try withConnection { (database) throws(StoreError) in
            let accounts = try database.query("SELECT \(Self.ledgerAccountColumns) FROM ledger_accounts ORDER BY account_id")
                .map { (row) throws(StoreError) in try Self.ledgerAccount(row) }
            let rows = try database.query(
                "SELECT \(Self.ledgerTransferColumns) FROM ledger_transfers ORDER BY journal_position")
            var transfers: [LedgerTransfer] = [], states: [String: Ledger.PendingState] = [:]
            for row in rows {
                let (transfer, state) = try Self.ledgerTransfer(row)
                transfers.append(transfer)
                if let state { states[transfer.id] = state }
            }
            return Ledger(
                restoringAccounts: accounts, transfers: transfers, journal: transfers.map(\.id), pendingStates: states)
        }
    }

    // MARK: Rows

    private static let ledgerAccountColumns = """
        account_id, asset, balance_constraint, debits_posted, credits_posted, debits_pending, credits_pending
        """
    private static let ledgerTransferColumns = """
        transfer_id, debit_account_id, credit_account_id, amount, kind, pending_id, timeout_seconds, pending_state,
        timestamp_s, code
        """

    static func ledgerBatchOutcome(_ batchId: String, in database: SQLiteConnection) throws(StoreError)
        -> LedgerBatchOutcome?
    {
        guard
            let row = try database.query(
                "SELECT outcome, settled, reason FROM ledger_batches WHERE batch_id = ?", [.text(batchId)]
            ).first
        else { return nil }
        if try row.text(0) == "rejected" { return .rejected(reason: try row.optionalText(2) ?? "rejected") }
        let amounts = try row.text(1).split(separator: ",").map { (text) throws(StoreError) -> UInt128 in
            guard let amount = UInt128(text) else { throw StoreError("stored ledger batch amount is not an amount") }
            return amount
        }
        return .posted(settledCumulativeAmounts: amounts)
    }

    private static func ledgerAccounts(_ ids: [String], in database: SQLiteConnection) throws(StoreError)
        -> [LedgerAccount]
    {
        var accounts: [LedgerAccount] = []
        for id in Set(ids).sorted() {
            if let row = try database.query(
                "SELECT \(ledgerAccountColumns) FROM ledger_accounts WHERE account_id = ?", [.text(id)]
            ).first {
                accounts.append(try ledgerAccount(row))
            }
        }
        return accounts
    }

    private static func partialLedger(accountIds: [String], transferIds: [String], in database: SQLiteConnection)
        throws(StoreError) -> Ledger
    {
        let accounts = try ledgerAccounts(accountIds, in: database)
        var transfers: [LedgerTransfer] = [], states: [String: Ledger.PendingState] = [:]
        for id in Set(transferIds).sorted() {
            guard
                let row = try database.query(
                    "SELECT \(ledgerTransferColumns) FROM ledger_transfers WHERE transfer_id = ?", [.text(id)]
                ).first
            else { continue }
            let (transfer, state) = try ledgerTransfer(row)
            transfers.append(transfer)
            if let state { states[transfer.id] = state }
        }
        // The journal starts empty: whatever the operation appends to it is what is new.
        return Ledger(restoringAccounts: accounts, transfers: transfers, journal: [], pendingStates: states)
    }

    /// Writes the accounts that differ, the transfers appended to the journal and hold states that moved.
    private static func writeChanges(from before: Ledger, to after: Ledger, in database: SQLiteConnection)
        throws(StoreError)
    {
        for (id, account) in after.accounts.sorted(by: { $0.key < $1.key }) where before.accounts[id] != account {
            try database.query(
                """
                INSERT INTO ledger_accounts (\(ledgerAccountColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET debits_posted = excluded.debits_posted,
                    credits_posted = excluded.credits_posted, debits_pending = excluded.debits_pending,
                    credits_pending = excluded.credits_pending
                """,
                [
                    .text(id), .text(account.asset), .text(account.constraint.rawValue), .amount(account.debitsPosted),
                    .amount(account.creditsPosted), .amount(account.debitsPending), .amount(account.creditsPending),
                ])
        }
        for id in after.journal {
            guard let transfer = after.transfers[id] else { throw StoreError("ledger journal names unknown \(id)") }
            let (kind, pendingId, timeout): (String, String?, UInt64?) =
                switch transfer.kind {
                case .single: ("single", nil, nil)
                case .pending(let timeout): ("pending", nil, timeout)
                case .postPending(let pending): ("post_pending", pending, nil)
                case .voidPending(let pending): ("void_pending", pending, nil)
                }
            try database.query(
                "INSERT INTO ledger_transfers (\(ledgerTransferColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(transfer.id), .text(transfer.debitAccountId), .text(transfer.creditAccountId),
                    .amount(transfer.amount), .text(kind), .optionalText(pendingId),
                    timeout.map { .integer(Int64(clamping: $0)) } ?? .null,
                    .optionalText(after.pendingStates[id]?.rawValue), .integer(transfer.timestampSeconds),
                    .text(transfer.code),
                ])
        }
        for (id, state) in after.pendingStates.sorted(by: { $0.key < $1.key })
        where before.pendingStates[id] != nil && before.pendingStates[id] != state {
            try database.query(
                "UPDATE ledger_transfers SET pending_state = ? WHERE transfer_id = ?", [.text(state.rawValue), .text(id)])
        }
    }

    private static func ledgerAccount(_ row: SQLiteRow) throws(StoreError) -> LedgerAccount {
        guard let constraint = LedgerAccount.Constraint(rawValue: try row.text(2)) else {
            throw StoreError("stored ledger constraint unknown")
        }
        return LedgerAccount(
            id: try row.text(0), asset: try row.text(1), constraint: constraint, debitsPosted: try row.amount(3),
            creditsPosted: try row.amount(4), debitsPending: try row.amount(5), creditsPending: try row.amount(6))
    }

    private static func ledgerTransfer(_ row: SQLiteRow) throws(StoreError) -> (LedgerTransfer, Ledger.PendingState?) {
        let kind: LedgerTransfer.Kind
        switch try row.text(4) {
        case "single": kind = .single
        case "pending": kind = .pending(timeoutSeconds: row.isNull(6) ? nil : UInt64(clamping: try row.integer(6)))
        case "post_pending": kind = .postPending(pendingId: try row.text(5))
        case "void_pending": kind = .voidPending(pendingId: try row.text(5))
        default: throw StoreError("stored ledger transfer kind unknown")
        }
        var state: Ledger.PendingState?
        if !row.isNull(7) {
            guard let known = Ledger.PendingState(rawValue: try row.text(7)) else {
                throw StoreError("stored hold state unknown")
            }
            state = known
        }
        let transfer = LedgerTransfer(
            id: try row.text(0), debitAccountId: try row.text(1), creditAccountId: try row.text(2),
            amount: try row.amount(3), kind: kind, code: try row.text(9))
        return (LedgerTransfer(restoring: transfer, timestampSeconds: try row.integer(8)), state)
    }
}
