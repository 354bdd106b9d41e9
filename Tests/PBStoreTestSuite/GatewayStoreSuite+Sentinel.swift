import PBCore
import PBCrypto
import PBSentinel
import PBStore
import Testing

/// Sentinel's event log, snapshot and policy.
extension GatewayStoreSuite {
    /// Events come back newest first across pages, each once, exactly as appended; a key's or owner's filter keeps
    /// only theirs.
    public func sentinelEventsAreListedNewestFirstAndFiltered() async throws {
        let store = try await makeStore()
        let first = Bytes32.random(), second = Bytes32.random()
        let owner = PrivateKey.random().address
        func event(_ subject: SentinelSubject, _ kind: SentinelEvent.Kind, _ second: Int64) -> SentinelEvent {
            SentinelEvent(
                subject: subject, kind: kind, severity: kind == .unfrozen ? .low : .high,
                ruleID: kind == .unfrozen ? nil : "call-burst", action: kind == .unfrozen ? nil : .freeze,
                details: "more than 100 calls in 1m: 101", time: StoreFixture.start.adding(seconds: second))
        }
        let appended = [
            event(.key(first), .ruleFired, 1), event(.key(first), .frozen, 1), event(.key(second), .ruleFired, 2),
            event(.owner(owner), .frozen, 3), event(.key(first), .unfrozen, 4),
        ]
        try await store.appendSentinelEvents(Array(appended.prefix(2)))
        try await store.appendSentinelEvents(Array(appended.dropFirst(2)))
        try await store.appendSentinelEvents([])

        var all: [StoredSentinelEvent] = [], cursor: String?
        repeat {
            let page = try await store.sentinelEvents(subject: nil, after: cursor, limit: 2)
            #expect(page.items.count <= 2)
            all += page.items
            cursor = page.nextCursor
        } while cursor != nil && all.count < 10
        #expect(all.map(\.event) == appended.reversed())
        #expect(all.map(\.sequence) == all.map(\.sequence).sorted(by: >))

        let ofFirst = try await store.sentinelEvents(subject: .key(first), after: nil, limit: 50)
        #expect(ofFirst.items.map(\.event.kind) == [.unfrozen, .frozen, .ruleFired])
        #expect(ofFirst.nextCursor == nil)
        let ofOwner = try await store.sentinelEvents(subject: .owner(owner), after: nil, limit: 50)
        #expect(ofOwner.items.map(\.event) == [appended[3]])
        #expect(try await store.sentinelEvents(subject: .key(Bytes32.random()), after: nil, limit: 50).items.isEmpty)
        await #expect(throws: (any Error).self, "a malformed cursor") {
            _ = try await store.sentinelEvents(subject: nil, after: "not a cursor", limit: 10)
        }
    }

    /// The engine's snapshot comes back equal, so a restored engine judges as the saved one did; a newer save
    /// replaces it. A policy put through the API likewise.
    public func sentinelSnapshotAndPolicyAreStoredAndReplaced() async throws {
        let store = try await makeStore()
        #expect(try await store.riskSnapshot() == nil)
        #expect(try await store.sentinelPolicy() == nil)
        let engine = RiskEngine()
        let owner = PrivateKey.random().address, payee = PrivateKey.random().address, key = Bytes32.random()
        for call in 0..<30 {
            _ = engine.evaluate(PaymentObservation(
                keyID: key, owner: owner, service: "chat", payee: payee, amount: 10_000,
                time: StoreFixture.start.adding(seconds: Int64(call * 7)), remainingBeforePayment: 1_000_000_000,
                totalLimit: 1_000_000_000))
        }
        let early = engine.snapshot()
        try await store.saveRiskSnapshot(early, at: StoreFixture.start)
        #expect(try await store.riskSnapshot() == early)
        _ = engine.freeze(.key(key), reason: RiskReason(ruleID: "manual", message: "by hand", severity: .critical), at: StoreFixture.start)
        let later = engine.snapshot()
        try await store.saveRiskSnapshot(later, at: StoreFixture.start.adding(seconds: 60))
        let restored = try #require(try await store.riskSnapshot())
        #expect(restored == later)
        #expect(restored.keyCount == 1 && restored.openBreakerCount == 1)

        let policy = SentinelPolicyConfig(decimals: 6, rules: [], breaker: nil)
        try await store.saveSentinelPolicy(policy, at: StoreFixture.start)
        try await store.saveSentinelPolicy(SentinelPolicy.standard.config, at: StoreFixture.start)
        #expect(try await store.sentinelPolicy() == SentinelPolicy.standard.config)
    }
}
