import PBCore
import PBCrypto
import PBMetering
import PBPricing
import PBStore

/// Stream sessions over a `MeteringStore`, on an injected clock: what the metering API, the ticker and the demos
/// call. Each operation reads `clock.now` once and hands the session state machine (`SessionUpdate`) to the store,
/// which runs it inside the transaction that writes its result. Knows nothing of HTTP.
public struct Meter: Sendable {
    public let store: any MeteringStore
    public let clock: any WallClock
    /// Told the channel (grant, payee) of a session paid by a session key when that session stops, so that what
    /// it charged is settled now rather than at the channel's threshold (the gateway passes its settlement
    /// worker's `sessionStopped(on:)`).
    public let grantSessionStopped: (@Sendable (ChannelKey) -> Void)?

    public init(
        store: any MeteringStore, clock: any WallClock, grantSessionStopped: (@Sendable (ChannelKey) -> Void)? = nil
    ) {
        self.store = store
        self.clock = clock
        self.grantSessionStopped = grantSessionStopped
    }

    // MARK: Accounts

    /// Opens an empty account; `id` defaults to a new `acct_…` identifier. A taken id is a conflict.
    public func openAccount(id: String? = nil, asset: Asset, lowBalance: LowBalancePolicy) async throws -> Account {
        let now = clock.now
        let account = try Account(
            id: id ?? Identifier.make(prefix: "acct", clock: clock).description, asset: asset, lowBalance: lowBalance,
            createdAt: now)
        guard try await store.createAccount(account) else { throw MeteringError.conflict("account \(account.id) exists") }
        return account
    }

    /// Credits a top-up (idempotent by `topUpId`) and resumes the account's sessions stopped for insufficient
    /// funds that the new balance can pay. Nil for an unknown account.
    public func topUp(accountId: String, topUpId: String, amount: Amount) async throws
        -> (result: TopUpResult, resumed: [MeterSession])?
    {
        try MeteringName.validate(topUpId, field: "Idempotency-Key")
        guard !GrantFunding.isGrantAccount(accountId) else {
            throw MeteringError.invalid("accountId", "a grant's funding grows by a new window voucher, not a top-up")
        }
        guard let account = try await store.account(accountId) else { return nil }
        guard amount.decimals == account.asset.decimals, !amount.isZero else {
            throw MeteringError.invalid("amount", "must be above zero, in \(account.asset.symbol)")
        }
        guard let result = try await store.topUp(accountId: accountId, topUpId: topUpId, amount: amount, at: clock.now)
        else { return nil }
        return (result, try await resumeFundedSessions(accountId: accountId))
    }

    /// Resumes every session of the account stopped for insufficient funds whose next second the balance pays.
    public func resumeFundedSessions(accountId: String) async throws -> [MeterSession] {
        var resumed: [MeterSession] = []
        for session in try await store.sessions(accountId: accountId) where session.state == .stopped(.insufficientFunds) {
            let now = clock.now
            let update = try await store.updateSession(session.id, usageIds: []) { update, _ in
                try update.resumeIfFunded(at: now)
            }
            if let update, update.session.isActive { resumed.append(update.session) }
        }
        return resumed
    }

    /// The instant the account's balance runs out at its running sessions' prices (`DepletionForecast`).
    public func depletionTime(of account: Account) async throws -> UnixTime? {
        try DepletionForecast.depletionTime(
            of: account, sessions: try await store.sessions(accountId: account.id), at: clock.now)
    }

    // MARK: Sessions

    /// Starts a session; refused (`insufficient_funds`) when the balance cannot pay its first second.
    public func startSession(
        id: String? = nil, accountId: String, service: String, plan: PricePlan, timeMetering: TimeMetering?
    ) async throws -> MeterSession {
        guard let account = try await store.account(accountId) else {
            throw MeteringError.invalid("accountId", "no account '\(accountId)'")
        }
        let session = try MeterSession(
            id: id ?? Identifier.make(prefix: "ms", clock: clock).description, account: account, service: service,
            plan: plan, timeMetering: timeMetering, at: clock.now)
        _ = try SessionUpdate.start(session, account: account)
        guard try await store.createSession(session) else { throw MeteringError.conflict("session \(session.id) exists") }
        return session
    }

    /// Starts a session paid by a session key's grant, drawing on the channel's open credit window (`GrantDraw`);
    /// refused (`insufficient_funds`) when the window cannot pay its first second or the funding has ended.
    public func startGrantSession(
        id: String? = nil, funding: GrantFunding, service: String, plan: PricePlan, timeMetering: TimeMetering?
    ) async throws -> MeterSession {
        let (account, end) = try await store.grantFunding(funding, asset: plan.asset)
        let session = try MeterSession(
            id: id ?? Identifier.make(prefix: "ms", clock: clock).description, account: account, service: service,
            plan: plan, timeMetering: timeMetering, funding: funding, at: clock.now)
        _ = try SessionUpdate.start(session, account: account, fundingEnd: end)
        guard try await store.createSession(session) else { throw MeteringError.conflict("session \(session.id) exists") }
        return session
    }

    /// Records a batch of reported usage after checking every item (an error names the first bad one and nothing
    /// is recorded); ids already recorded are skipped. Nil for an unknown session.
    public func recordUsage(sessionId: String, _ usages: [ReportedUsage]) async throws -> SessionUpdate? {
        guard let session = try await store.session(sessionId) else { return nil }
        try UsageBatch.validate(usages, plan: session.plan)
        let now = clock.now
        return reportingStop(
            try await store.updateSession(sessionId, usageIds: usages.map(\.id)) { update, recorded in
                try update.record(usages, alreadyRecorded: recorded, at: now)
            })
    }

    public func pause(sessionId: String) async throws -> SessionUpdate? {
        try await change(sessionId) { update, now in try update.pause(at: now) }
    }

    public func resume(sessionId: String) async throws -> SessionUpdate? {
        try await change(sessionId) { update, now in try update.resume(at: now) }
    }

    /// Charges up to now and stops for good; the session's statement is final.
    public func stop(sessionId: String, reason: StopReason = .completed) async throws -> SessionUpdate? {
        try await change(sessionId) { update, now in try update.stop(reason, at: now) }
    }

    /// Charges a time-metered session up to now (what the ticker does when it is due).
    public func advance(sessionId: String) async throws -> SessionUpdate? {
        try await change(sessionId) { update, now in try update.advance(to: now) }
    }

    /// Advances every session due now, at most `limit` of them; returns how many were advanced. A session whose
    /// update fails is reported and skipped, so one bad session cannot stall the others.
    @discardableResult
    public func runDue(limit: Int = 256, onFailure: (String, any Error) -> Void = { _, _ in }) async throws -> Int {
        let due = try await store.dueSessionIds(at: clock.now, limit: limit)
        for sessionId in due {
            do { _ = try await advance(sessionId: sessionId) } catch { onFailure(sessionId, error) }
        }
        return due.count
    }

    /// The session's statement with the account's top-ups since it started. Nil for an unknown session.
    public func statement(sessionId: String) async throws -> Statement? {
        guard let session = try await store.session(sessionId),
            let account = try await store.account(session.accountId)
        else { return nil }
        let topUps = try await store.topUps(accountId: account.id, since: session.startedAt, limit: 500)
        return try Statement(session: session, account: account, topUps: topUps)
    }

    private func change(
        _ sessionId: String, _ body: @escaping @Sendable (inout SessionUpdate, UnixTime) throws -> Void
    ) async throws -> SessionUpdate? {
        let now = clock.now
        return reportingStop(try await store.updateSession(sessionId, usageIds: []) { update, _ in try body(&update, now) })
    }

    /// Passes on a committed update that stopped a grant-funded session (whatever stopped it: the merchant, the
    /// funding's end, or the balance).
    private func reportingStop(_ update: SessionUpdate?) -> SessionUpdate? {
        guard let update, let grantSessionStopped, let funding = update.session.funding,
            update.events.contains(where: { $0.kind == .sessionStopped }),
            let payee = try? EthereumAddress(funding.payee)
        else { return update }
        grantSessionStopped(ChannelKey(grantId: funding.grantId, payee: payee))
        return update
    }
}
