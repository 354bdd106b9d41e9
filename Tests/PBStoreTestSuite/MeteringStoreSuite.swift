import PBCore
import PBMetering
import PBPricing
import PBStore
import Testing

/// The metering behaviour every store adapter must have (accounts, top-ups, session updates, usage, events), as
/// plain functions each adapter's test target calls, like `GatewayStoreSuite`.
public struct MeteringStoreSuite: Sendable {
    let makeStore: @Sendable () async throws -> any MeteringStore
    static let start = UnixTime(seconds: 1_764_000_000)

    public init(makeStore: @escaping @Sendable () async throws -> any MeteringStore) {
        self.makeStore = makeStore
    }

    static func usdc(_ text: String) -> Amount { try! Asset.usdc.amount(text) }

    /// A store with account `agent` topped up with `balance` and an active session `gpu` on it (0.001 U/s, ticked
    /// every 60 s), or one of reported chat usage when `timeMetered` is false.
    func storeWithSession(balance: String = "100", timeMetered: Bool = true) async throws -> any MeteringStore {
        let store = try await makeStore()
        #expect(try await store.createAccount(Account(id: "agent", asset: .usdc, createdAt: Self.start)))
        _ = try await store.topUp(accountId: "agent", topUpId: "first", amount: Self.usdc(balance), at: Self.start)
        let account = try #require(try await store.account("agent"))
        let plan = timeMetered
            ? try MeteringExamples.gpuPlan()
            : try PricePlan(config: PricePlanConfig(prices: [UnitPriceConfig(unit: "output_token", rate: "0.000008")]))
        let session = try MeterSession(
            id: "gpu", account: account, service: "gpu", plan: plan,
            timeMetering: timeMetered ? TimeMetering(unit: .second, intervalSeconds: 60) : nil, at: Self.start)
        _ = try SessionUpdate.start(session, account: account)
        #expect(try await store.createSession(session))
        #expect(try await store.createSession(session) == false, "a taken id changes nothing")
        return store
    }

    static func tokens(_ id: String, _ count: UInt64) -> ReportedUsage {
        ReportedUsage(id: id, at: start, quantities: [UsageQuantity(unit: .outputToken, quantity: count)])
    }

    public func topUpsAreIdempotentById() async throws {
        let store = try await makeStore()
        let account = try Account(id: "agent", asset: .usdc, createdAt: Self.start)
        #expect(try await store.createAccount(account))
        #expect(try await store.createAccount(account) == false)
        let first = try #require(try await store.topUp(accountId: "agent", topUpId: "t1", amount: Self.usdc("100"), at: Self.start))
        #expect(!first.isReplay)
        #expect(first.account.balance == Self.usdc("100"))
        let replay = try #require(
            try await store.topUp(accountId: "agent", topUpId: "t1", amount: Self.usdc("100"), at: Self.start.adding(seconds: 5)))
        #expect(replay.isReplay)
        #expect(replay.topUp == first.topUp)
        #expect(try await store.account("agent")?.balance == Self.usdc("100"), "a replayed top-up credits nothing")
        await #expect(throws: (any Error).self, "the same id for another amount is refused") {
            _ = try await store.topUp(accountId: "agent", topUpId: "t1", amount: Self.usdc("5"), at: Self.start)
        }
        _ = try await store.topUp(accountId: "agent", topUpId: "t2", amount: Self.usdc("0.5"), at: Self.start.adding(seconds: 9))
        let stored = try #require(try await store.account("agent"))
        #expect(stored.balance == Self.usdc("100.5"))
        #expect(stored.toppedUp == Self.usdc("100.5"))
        #expect(stored.refillLevel == Self.usdc("100.5"))
        #expect(try await store.topUps(accountId: "agent", since: Self.start, limit: 10).map(\.id) == ["t1", "t2"])
        #expect(try await store.topUp(accountId: "nobody", topUpId: "t3", amount: Self.usdc("1"), at: Self.start) == nil)
    }

    public func debitsAndChargesMoveTogether() async throws {
        let store = try await storeWithSession()
        let update = try #require(try await store.updateSession("gpu", usageIds: []) { update, _ in
            try update.advance(to: Self.start.adding(seconds: 1_000))
        })
        #expect(update.debited == Self.usdc("1"))
        let session = try #require(try await store.session("gpu"))
        let account = try #require(try await store.account("agent"))
        #expect(session == update.session)
        #expect(session.charged == Self.usdc("1"))
        #expect(account.balance == Self.usdc("99"))
        #expect(account.spent == session.charged, "what left the account is what the session charged")
        #expect(try await store.updateSession("missing", usageIds: []) { _, _ in } == nil)
    }

    public func usageEventsAreIdempotentById() async throws {
        let store = try await storeWithSession(balance: "10", timeMetered: false)
        let batch = (0..<1_000).map { Self.tokens("e\($0)", 125) }
        let ids = batch.map(\.id)
        let first = try #require(try await store.updateSession("gpu", usageIds: ids) { update, recorded in
            try update.record(batch, alreadyRecorded: recorded, at: Self.start)
        })
        #expect(first.recorded.count == 1_000)
        #expect(first.debited == Self.usdc("1"))
        let again = try #require(try await store.updateSession("gpu", usageIds: ids) { update, recorded in
            try update.record(batch, alreadyRecorded: recorded, at: Self.start.adding(seconds: 1))
        })
        #expect(again.duplicates.count == 1_000)
        #expect(again.recorded.isEmpty)
        #expect(try await store.account("agent")?.balance == Self.usdc("9"), "resending a batch changes nothing")
        #expect(try await store.session("gpu")?.usageEventCount == 1_000)

        var listed: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.usageEvents(sessionId: "gpu", after: cursor, limit: 300)
            listed += page.items.map(\.usage.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(listed == ids.reversed(), "every event once, newest first")
        let newest = try #require(try await store.usageEvents(sessionId: "gpu", after: nil, limit: 1).items.first)
        #expect(newest.usage == batch.last)
        #expect(newest.collected == Self.usdc("0.001"))
    }

    public func aFailingUpdateWritesNothing() async throws {
        let store = try await storeWithSession(balance: "10", timeMetered: false)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await store.updateSession("gpu", usageIds: ["a"]) { update, recorded in
                try update.record([Self.tokens("a", 1_000)], alreadyRecorded: recorded, at: Self.start)
                throw Refused()
            }
        }
        await #expect(throws: (any Error).self, "an update that credits the account is refused") {
            _ = try await store.updateSession("gpu", usageIds: []) { update, _ in
                var account = update.account
                try account.credit(Self.usdc("1"), at: Self.start)
                update = try SessionUpdate(session: update.session, account: account)
            }
        }
        #expect(try await store.account("agent")?.balance == Self.usdc("10"))
        #expect(try await store.session("gpu")?.usageEventCount == 0)
        #expect(try await store.usageEvents(sessionId: "gpu", after: nil, limit: 10).items.isEmpty)
        #expect(try await store.meteringEvents(accountId: nil, sessionId: nil, after: nil, limit: 10).items.isEmpty)
    }

    public func dueSessionsEventsAndDeliveries() async throws {
        let store = try await storeWithSession()
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 59), limit: 10).isEmpty)
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 60), limit: 10) == ["gpu"])
        _ = try await store.updateSession("gpu", usageIds: []) { update, _ in
            try update.advance(to: Self.start.adding(seconds: 150_000))
        }
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 200_000), limit: 10).isEmpty, "stopped")
        let session = try #require(try await store.session("gpu"))
        #expect(session.state == .stopped(.insufficientFunds))
        #expect(try await store.account("agent")?.balance.isZero == true)

        let events = try await store.meteringEvents(accountId: "agent", sessionId: nil, after: nil, limit: 10).items
        #expect(events.map(\.kind) == [.sessionStopped, .accountLowBalance], "newest first")
        #expect(events.map(\.at) == [Self.start.adding(seconds: 100_000), Self.start.adding(seconds: 90_000)])
        #expect(events.last?.balance == Self.usdc("10"))
        #expect(events.first?.reason == .insufficientFunds)
        let page = try await store.meteringEvents(accountId: nil, sessionId: "gpu", after: nil, limit: 1)
        #expect(page.items == [events[0]])
        #expect(try await store.meteringEvents(accountId: nil, sessionId: "gpu", after: page.nextCursor, limit: 1).items == [events[1]])

        let due = Self.start.adding(seconds: 100_000)
        #expect(try await store.pendingEvents(dueAt: due.adding(seconds: -10_001), limit: 10).isEmpty)
        let pending = try await store.pendingEvents(dueAt: due, limit: 10)
        #expect(pending.map(\.event) == events.reversed(), "oldest first")
        try await store.recordDelivery(of: pending[0].event.sequence, attempts: 1, outcome: .delivered)
        try await store.recordDelivery(of: pending[1].event.sequence, attempts: 1, outcome: .retry(at: due.adding(seconds: 30)))
        #expect(try await store.pendingEvents(dueAt: due.adding(seconds: 29), limit: 10).isEmpty)
        let retried = try await store.pendingEvents(dueAt: due.adding(seconds: 30), limit: 10)
        #expect(retried.map(\.attempts) == [1])
        try await store.recordDelivery(of: pending[1].event.sequence, attempts: 5, outcome: .failed)
        #expect(try await store.pendingEvents(dueAt: due.adding(seconds: 10_000), limit: 10).isEmpty)
        #expect(try await store.meteringEvents(accountId: "agent", sessionId: nil, after: nil, limit: 10).items.count == 2)
    }

    /// Two time-metered sessions on one balance: each is due no later than the second the balance runs out with
    /// both running, so neither runs unpaid past it until its own next tick; both stop at that second, and the
    /// balance is split exactly.
    public func sessionsSharingABalanceAreDueWhenItRunsOut() async throws {
        let store = try await makeStore()
        let quiet = try LowBalancePolicy(fraction: "0")
        #expect(try await store.createAccount(Account(id: "shared", asset: .usdc, lowBalance: quiet, createdAt: Self.start)))
        _ = try await store.topUp(accountId: "shared", topUpId: "t", amount: Self.usdc("10"), at: Self.start)
        for id in ["a", "b"] {
            let account = try #require(try await store.account("shared"))
            let session = try MeterSession(
                id: id, account: account, service: "gpu", plan: try MeteringExamples.gpuPlan(),
                timeMetering: TimeMetering(unit: .second, intervalSeconds: 3_600), at: Self.start)
            #expect(try await store.createSession(session))
        }
        func advance(_ id: String, to seconds: Int64) async throws {
            _ = try await store.updateSession(id, usageIds: []) { update, _ in
                try update.advance(to: Self.start.adding(seconds: seconds))
            }
        }
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 3_600), limit: 10) == ["a", "b"])
        try await advance("a", to: 3_600)
        try await advance("b", to: 3_600)
        // 2.8 U left at 0.002 U/s: it runs out at 5,000 s, well before either's next interval at 7,200 s.
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 4_999), limit: 10).isEmpty)
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 5_000), limit: 10) == ["a", "b"])
        try await advance("a", to: 5_000)
        try await advance("b", to: 5_000)
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 5_001), limit: 10) == ["a"])
        try await advance("a", to: 5_001)
        for id in ["a", "b"] {
            let session = try #require(try await store.session(id))
            #expect(session.state == .stopped(.insufficientFunds), "\(id)")
            #expect(session.stoppedAt == Self.start.adding(seconds: 5_000), "\(id)")
            #expect(session.charged == Self.usdc("5"), "\(id)")
        }
        #expect(try await store.account("shared")?.balance.isZero == true)
        #expect(try await store.dueSessionIds(at: Self.start.adding(seconds: 100_000), limit: 10).isEmpty)
    }
}
