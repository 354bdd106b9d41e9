import PBCore
import PBMetering
import PBProtocol
import PBStore

/// Sessions paid by a session key's grant (`GrantDraw`): their view account, computed from the grant and the
/// channel inside the transaction, and their draws, written through the charge path.
extension SQLiteGatewayStore {
    public func grantFunding(_ funding: GrantFunding, asset: Asset) async throws -> (account: Account, end: FundingEnd?) {
        let now = clock.now
        return try withConnection { (database) throws(StoreError) in
            let view = try Self.grantView(funding, asset: asset, now: now, in: database)
            return (view.account, view.end)
        }
    }

    /// The view account of a grant-funded session and when its funding ends, as of `now`.
    static func grantView(_ funding: GrantFunding, asset: Asset, now: UnixTime, in database: SQLiteConnection)
        throws(StoreError) -> (account: Account, end: FundingEnd?)
    {
        let channelKey: ChannelKey
        do { channelKey = try GrantDraw.channel(funding) } catch { throw StoreError("session funding names no channel: \(error)") }
        let grant = try Self.grant(funding.grantId, in: database)
        let spentInPeriod = try grant?.grant.periodStart(at: now).map { (start) throws(StoreError) in
            try Self.spent(grantId: funding.grantId, since: start, in: database)
        } ?? 0
        let (available, end) = GrantDraw.allowance(
            grant: grant, channel: try Self.channel(channelKey, in: database), spentInPeriod: spentInPeriod, now: now)
        do {
            return (try funding.account(asset: asset, available: Amount(baseUnits: available, asset: asset), at: now), end)
        } catch { throw StoreError("grant view of \(funding.accountId): \(error)") }
    }

    /// The account a session pays from, as its update sees it: the stored prepaid account, or a grant's view.
    static func payingAccount(for session: MeterSession, now: UnixTime, in database: SQLiteConnection)
        throws(StoreError) -> (account: Account, end: FundingEnd?)
    {
        guard let stored = try Self.account(session.accountId, in: database) else {
            throw StoreError("session \(session.id) has no account \(session.accountId)")
        }
        guard let funding = session.funding else { return (stored, nil) }
        return try grantView(funding, asset: stored.asset, now: now, in: database)
    }

    /// The view of `grant:<grant id>:<payee>` (what `account(_:)` answers for such an id).
    static func grantView(accountId: String, stored: Account, now: UnixTime, in database: SQLiteConnection)
        throws(StoreError) -> Account
    {
        let parts = accountId.split(separator: ":")
        guard parts.count == 3, let grantId = try? Bytes32(hex: String(parts[1])),
            let funding = try? GrantFunding(grantId: grantId, payee: String(parts[2]))
        else { throw StoreError("account \(accountId) is not a grant's view") }
        return try grantView(funding, asset: stored.asset, now: now, in: database).account
    }

    /// The row a grant-funded session's `account_id` refers to: the channel's asset, amounts at zero (money moves on
    /// the grant and the channel, never here). Refuses a second asset on one channel.
    static func ensureGrantAccountRow(for session: MeterSession, in database: SQLiteConnection) throws(StoreError) {
        if let existing = try Self.account(session.accountId, in: database) {
            guard existing.asset == session.plan.asset else {
                throw StoreError("the channel's sessions are priced in \(existing.asset.symbol), not \(session.plan.asset.symbol)")
            }
            return
        }
        let asset = session.plan.asset
        let placeholder: Account
        do {
            placeholder = try Account(
                id: session.accountId, asset: asset, balance: .zero(of: asset), toppedUp: .zero(of: asset),
                spent: .zero(of: asset), refillLevel: .zero(of: asset), lowBalance: LowBalancePolicy(fractionPartsPerMillion: 0),
                lowBalanceAlerted: false, createdAt: session.startedAt, updatedAt: session.startedAt)
        } catch { throw StoreError("grant account row: \(error)") }
        try database.query(
            "INSERT INTO metering_accounts (\(SQLiteMeteringRows.accountColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            SQLiteMeteringRows.accountValues(placeholder))
    }

    /// Writes a grant-funded session's debit as one charged payment on its channel, through the charge path:
    /// refused (and the whole update rolled back) unless the grant and the window pay it in full at `now`.
    static func draw(
        _ amount: Amount, before session: MeterSession, funding: GrantFunding, now: UnixTime, in database: SQLiteConnection
    ) throws(StoreError) {
        let channelKey: ChannelKey
        do { channelKey = try GrantDraw.channel(funding) } catch { throw StoreError("session funding names no channel: \(error)") }
        let terms = try Self.grant(funding.grantId, in: database)?.grant
        let request = ChargeRequest(
            channel: channelKey, receiptId: GrantDraw.receiptId(sessionId: session.id, chargedBefore: session.charged),
            rateWindowStart: nil, periodStart: terms?.periodStart(at: now))
        let sessionId = session.id, service = session.service, baseUnits = amount.baseUnits
        let decision = try Self.charge(request, decide: { context in
            GrantDraw.decide(
                amount: baseUnits, sessionId: sessionId, service: service, request: request, context: context, now: now)
        }, in: database)
        guard case .charge = decision else {
            throw StoreError("session \(session.id)'s draw of \(amount) was refused: \(decision)")
        }
    }
}
