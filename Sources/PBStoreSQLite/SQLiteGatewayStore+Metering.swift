import PBCore
import PBMetering
import PBStore

/// Accounts, top-ups, sessions and the session update transaction (`MeteringStore`).
extension SQLiteGatewayStore {
    public func createAccount(_ account: Account) async throws -> Bool {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                "INSERT OR IGNORE INTO metering_accounts (\(SQLiteMeteringRows.accountColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                SQLiteMeteringRows.accountValues(account))
            return database.changes == 1
        }
    }

    /// A prepaid account, or for `grant:<grant id>:<payee>` the grant's view: what its channel's window pays now.
    public func account(_ accountId: String) async throws -> Account? {
        let now = clock.now
        return try withConnection { (database) throws(StoreError) in
            guard let stored = try Self.account(accountId, in: database) else { return nil }
            guard GrantFunding.isGrantAccount(accountId) else { return stored }
            return try Self.grantView(accountId: accountId, stored: stored, now: now, in: database)
        }
    }

    public func topUp(accountId: String, topUpId: String, amount: Amount, at time: UnixTime) async throws -> TopUpResult? {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> TopUpResult? in
                try Self.credit(accountId: accountId, topUpId: topUpId, amount: amount, at: time, in: database)
            }
        }
    }

    /// The top-up inside its transaction: a replay of a stored id, or the credit and its ledger entry.
    private static func credit(
        accountId: String, topUpId: String, amount: Amount, at time: UnixTime, in database: SQLiteConnection
    ) throws(StoreError) -> TopUpResult? {
        if let earlier = try storedTopUp(topUpId, in: database) {
            guard earlier.accountId == accountId, earlier.amount == amount, let account = try account(accountId, in: database)
            else { throw StoreError("top-up \(topUpId) was made with another account or amount") }
            return TopUpResult(topUp: earlier, account: account, isReplay: true)
        }
        guard let before = try account(accountId, in: database) else { return nil }
        var account = before
        do { try account.credit(amount, at: time) } catch { throw StoreError("top-up refused: \(error)") }
        try writeAccount(account, previous: before, in: database)
        try database.query(
            """
            INSERT INTO account_entries (account_id, kind, top_up_id, session_id, amount, balance_after, at_ms)
            VALUES (?, 'top_up', ?, NULL, ?, ?, ?)
            """,
            [.text(accountId), .text(topUpId), .amount(amount.baseUnits), .amount(account.balance.baseUnits), .time(time)])
        let topUp = TopUp(id: topUpId, accountId: accountId, amount: amount, balanceAfter: account.balance, at: time)
        return TopUpResult(topUp: topUp, account: account, isReplay: false)
    }

    public func topUps(accountId: String, since: UnixTime, limit: Int) async throws -> [TopUp] {
        try withConnection { (database) throws(StoreError) in
            guard let account = try Self.account(accountId, in: database) else { return [] }
            return try database.query(
                """
                SELECT top_up_id, amount, balance_after, at_ms FROM account_entries
                WHERE account_id = ? AND kind = 'top_up' AND at_ms >= ? ORDER BY at_ms, entry_id LIMIT ?
                """, [.text(accountId), .time(since), .integer(Int64(ListCursor.clamp(limit)))]
            ).map { (row) throws(StoreError) in
                try Self.topUpRecord(row, accountId: accountId, asset: account.asset)
            }
        }
    }

    public func createSession(_ session: MeterSession) async throws -> Bool {
        let document = try SQLiteMeteringRows.sessionDocument(session)
        let now = clock.now
        return try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Bool in
                if session.funding != nil {
                    try Self.ensureGrantAccountRow(for: session, in: database)
                } else if try Self.account(session.accountId, in: database) == nil {
                    throw StoreError("session \(session.id) is for unknown account \(session.accountId)")
                }
                let (account, end) = try Self.payingAccount(for: session, now: now, in: database)
                let nextDue = try Self.schedule(
                    session, account: account, fundingEnd: end, now: session.startedAt, in: database)
                try database.query(
                    """
                    INSERT OR IGNORE INTO meter_sessions (session_id, account_id, state, stop_reason, charged, next_due_at_ms,
                        document, created_at_ms, updated_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(session.id), .text(session.accountId), .text(session.state.name),
                        .optionalText(session.state.stopReason?.rawValue), .amount(session.charged.baseUnits),
                        nextDue.map { .time($0) } ?? .null, .text(document), .time(session.startedAt), .time(session.updatedAt),
                    ])
                return database.changes == 1
            }
        }
    }

    public func session(_ sessionId: String) async throws -> MeterSession? {
        try withConnection { (database) throws(StoreError) in try Self.session(sessionId, in: database) }
    }

    public func sessions(accountId: String) async throws -> [MeterSession] {
        let documents = try withConnection { (database) throws(StoreError) in
            try database.query(
                "SELECT document FROM meter_sessions WHERE account_id = ? ORDER BY created_at_ms DESC, session_id DESC LIMIT 500",
                [.text(accountId)]
            ).map { (row) throws(StoreError) in try row.text(0) }
        }
        return try documents.map { (document) throws(StoreError) in try SQLiteMeteringRows.session(document) }
    }

    public func dueSessionIds(at time: UnixTime, limit: Int) async throws -> [String] {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                """
                SELECT session_id FROM meter_sessions WHERE next_due_at_ms IS NOT NULL AND next_due_at_ms <= ?
                ORDER BY next_due_at_ms, session_id LIMIT ?
                """, [.time(time), .integer(Int64(ListCursor.clamp(limit)))]
            ).map { (row) throws(StoreError) in try row.text(0) }
        }
    }

    public func updateSession(
        _ sessionId: String, usageIds: [String],
        change: @escaping @Sendable (inout SessionUpdate, Set<String>) throws -> Void
    ) async throws -> SessionUpdate? {
        let now = clock.now
        return try await meteringBatcher.write { (database) in
            guard let session = try Self.session(sessionId, in: database) else { return SQLiteMeteringOutcome(nil) }
            let (account, fundingEnd) = try Self.payingAccount(for: session, now: now, in: database)
            var recorded: Set<String> = []
            for usageId in usageIds {
                let found = try database.query(
                    "SELECT 1 FROM usage_events WHERE session_id = ? AND event_id = ?", [.text(sessionId), .text(usageId)])
                if !found.isEmpty { recorded.insert(usageId) }
            }
            var update = try SessionUpdate(session: session, account: account, fundingEnd: fundingEnd)
            try change(&update, recorded)
            try Self.write(update, session: session, account: account, now: now, in: database)
            return SQLiteMeteringOutcome(update)
        }.update
    }

    // MARK: Writing an update

    /// Writes a session update after checking that it balances: same session and account, no top-up inside, the
    /// balance lowered by exactly `debited` and the session's charged total raised by exactly the same.
    private static func write(
        _ update: SessionUpdate, session: MeterSession, account: Account, now storeNow: UnixTime,
        in database: SQLiteConnection
    ) throws(StoreError) {
        let after = update.session, afterAccount = update.account, debited = update.debited
        guard after.id == session.id, after.accountId == session.accountId, afterAccount.id == account.id,
            afterAccount.toppedUp == account.toppedUp,
            (try? account.balance.subtracting(debited)) == afterAccount.balance,
            (try? session.charged.adding(debited)) == after.charged
        else {
            throw StoreError("the update of session \(session.id) does not balance: debited \(debited), "
                + "balance \(account.balance) -> \(afterAccount.balance), charged \(session.charged) -> \(after.charged)")
        }
        let now = update.time ?? storeNow
        let nextDue = try schedule(
            after, account: afterAccount, fundingEnd: update.fundingEnd, now: now, in: database)
        try database.query(
            """
            UPDATE meter_sessions SET state = ?, stop_reason = ?, charged = ?, next_due_at_ms = ?, document = ?,
                updated_at_ms = ?
            WHERE session_id = ? AND charged = ?
            """,
            [
                .text(after.state.name), .optionalText(after.state.stopReason?.rawValue), .amount(after.charged.baseUnits),
                nextDue.map { .time($0) } ?? .null, .text(try SQLiteMeteringRows.sessionDocument(after)),
                .time(after.updatedAt), .text(session.id), .amount(session.charged.baseUnits),
            ])
        guard database.changes == 1 else { throw StoreError("session \(session.id) changed during its update") }
        if let funding = session.funding {
            // A grant pays: the debit is a charge on the grant and the channel; the view account is not stored.
            if !debited.isZero { try draw(debited, before: session, funding: funding, now: now, in: database) }
        } else if afterAccount != account {
            try writeAccount(afterAccount, previous: account, in: database)
        }
        if session.funding == nil, !debited.isZero {
            try database.query(
                """
                INSERT INTO account_entries (account_id, kind, top_up_id, session_id, amount, balance_after, at_ms)
                VALUES (?, 'debit', NULL, ?, ?, ?, ?)
                """,
                [
                    .text(account.id), .text(session.id), .amount(debited.baseUnits),
                    .amount(afterAccount.balance.baseUnits), .time(afterAccount.updatedAt),
                ])
        }
        for (offset, recorded) in update.recorded.enumerated() {
            let usage = recorded.usage
            try database.query(
                """
                INSERT INTO usage_events (session_id, event_id, occurred_at_ms, quantities, dimensions, collected,
                    recorded_at_ms, sequence)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(session.id), .text(usage.id), .time(usage.at), .text(SQLiteMeteringRows.quantitiesText(usage.quantities)),
                    SQLiteMeteringRows.dimensionsValue(usage.dimensions), .amount(recorded.collected.baseUnits),
                    .time(after.updatedAt), .unsigned(session.usageEventCount + UInt64(offset) + 1),
                ])
        }
        for event in update.events {
            try database.query(
                """
                INSERT INTO metering_events (kind, account_id, session_id, at_ms, balance, threshold, reason, delivery,
                    attempts, next_attempt_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)
                """,
                [
                    .text(event.kind.rawValue), .text(event.accountId), .optionalText(event.sessionId), .time(event.at),
                    .amount(event.balance.baseUnits), event.threshold.map { .amount($0.baseUnits) } ?? .null,
                    .optionalText(event.reason?.rawValue), .time(event.at),
                ])
        }
    }

    /// Rewrites an account's amounts; the balance in the WHERE clause guards against a racing writer.
    private static func writeAccount(_ account: Account, previous: Account, in database: SQLiteConnection)
        throws(StoreError)
    {
        try database.query(
            """
            UPDATE metering_accounts SET balance = ?, topped_up = ?, spent = ?, refill_level = ?, low_balance_alerted = ?,
                updated_at_ms = ?
            WHERE account_id = ? AND balance = ?
            """,
            [
                .amount(account.balance.baseUnits), .amount(account.toppedUp.baseUnits), .amount(account.spent.baseUnits),
                .amount(account.refillLevel.baseUnits), .integer(account.lowBalanceAlerted ? 1 : 0), .time(account.updatedAt),
                .text(account.id), .amount(previous.balance.baseUnits),
            ])
        guard database.changes == 1 else { throw StoreError("account \(account.id) changed during the write") }
    }

    static func nextDue(_ session: MeterSession, account: Account, fundingEnd: FundingEnd?) throws(StoreError)
        -> UnixTime?
    {
        do { return try SessionUpdate(session: session, account: account, fundingEnd: fundingEnd).nextDueAt() } catch {
            throw StoreError("session \(session.id)'s next tick cannot be computed: \(error)")
        }
    }

    // MARK: Reading rows

    static func account(_ accountId: String, in database: SQLiteConnection) throws(StoreError) -> Account? {
        try database.query(
            "SELECT \(SQLiteMeteringRows.accountColumns) FROM metering_accounts WHERE account_id = ?", [.text(accountId)]
        ).first.map { (row) throws(StoreError) in try SQLiteMeteringRows.account(row) }
    }

    static func session(_ sessionId: String, in database: SQLiteConnection) throws(StoreError) -> MeterSession? {
        try database.query("SELECT document FROM meter_sessions WHERE session_id = ?", [.text(sessionId)])
            .first.map { (row) throws(StoreError) in try SQLiteMeteringRows.session(try row.text(0)) }
    }

    private static func storedTopUp(_ topUpId: String, in database: SQLiteConnection) throws(StoreError) -> TopUp? {
        guard
            let row = try database.query(
                """
                SELECT e.top_up_id, e.amount, e.balance_after, e.at_ms, e.account_id, a.asset_symbol, a.asset_decimals
                FROM account_entries e JOIN metering_accounts a USING (account_id) WHERE e.top_up_id = ?
                """, [.text(topUpId)]
            ).first
        else { return nil }
        guard let asset = try? Asset(symbol: try row.text(5), decimals: Int(try row.integer(6))) else {
            throw StoreError("stored account asset is damaged")
        }
        return try topUpRecord(row, accountId: try row.text(4), asset: asset)
    }

    private static func topUpRecord(_ row: SQLiteRow, accountId: String, asset: Asset) throws(StoreError) -> TopUp {
        TopUp(
            id: try row.text(0), accountId: accountId, amount: Amount(baseUnits: try row.amount(1), asset: asset),
            balanceAfter: Amount(baseUnits: try row.amount(2), asset: asset), at: try row.time(3))
    }
}

