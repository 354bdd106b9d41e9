import Foundation
import PBCore
import PBSentinel
import Testing

/// Snapshot and restore, bounded memory, and concurrent use of one engine.
@Suite struct EngineStateTests {
    typealias Fixtures = SentinelFixtures

    /// Varied traffic over a few keys and owners that exercises every default rule's state: amounts, gaps, bursts.
    private static func traffic(from first: Int, to last: Int) -> [PaymentObservation] {
        (first..<last).map { index in
            let key = UInt8(index % 7 + 1)
            let amount = UInt128(1_000 + (index * 7_919) % 900) * (index % 97 == 0 ? 30 : 1)
            // Groups of ten calls a minute apart, six seconds apart inside a group, 100 ms apart in one group of fifty.
            let milliseconds = Int64(index / 10) * 60_000 + Int64(index % 10) * (index % 500 < 50 ? 100 : 6_000)
            return Fixtures.payment(
                key: key, owner: key % 3, amount: amount, at: Fixtures.start.adding(milliseconds: milliseconds),
                remaining: 5_000_000 - UInt128(index) * 1_000, totalLimit: 5_000_000)
        }
    }

    @Test func restoredSnapshotDecidesExactlyAsTheOriginal() throws {
        let original = RiskEngine()
        for observation in Self.traffic(from: 0, to: 2_000) { _ = original.evaluate(observation) }
        let encoded = try JSONEncoder().encode(original.snapshot())
        let snapshot = try JSONDecoder().decode(RiskEngineSnapshot.self, from: encoded)
        #expect(snapshot.keyCount == 7)
        let restored = RiskEngine(snapshot: snapshot)
        var refusals = 0
        for observation in Self.traffic(from: 2_000, to: 4_000) {
            let expected = original.evaluate(observation)
            #expect(restored.evaluate(observation) == expected)
            if !expected.isAllowed { refusals += 1 }
        }
        // The comparison means something only if the second half had refusals to agree on.
        #expect(refusals > 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(restored.snapshot()) == encoder.encode(original.snapshot()))
    }

    @Test func keysBeyondTheBoundAreForgottenLeastRecentFirst() throws {
        var settings = RiskEngineSettings()
        settings.maximumKeys = 4
        settings.shardCount = 1
        let policy = try Fixtures.policy([RuleConditionConfig(amountVsAverage: MultipleConfig(above: "10", minimumHistory: 3))])
        let engine = RiskEngine(policy: policy, settings: settings)
        let start = Fixtures.start
        for _ in 0..<3 { _ = engine.evaluate(Fixtures.payment(key: 1, amount: 1_000, at: start)) }
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(key: 1, amount: 20_000, at: start))))
        for key in UInt8(2)...UInt8(5) { _ = engine.evaluate(Fixtures.payment(key: key, at: start)) }
        #expect(engine.trackedKeys.count == 4)
        #expect(engine.trackedKeys.evicted == 1)
        // Key 1 was the least recently used: its history is gone, so the same spike is not judged.
        #expect(engine.evaluate(Fixtures.payment(key: 1, amount: 20_000, at: start)).isAllowed)
        #expect(engine.trackedKeys.count == 4)
    }

    @Test func forgettingAKeysStatisticsNeverLiftsItsFreeze() throws {
        var settings = RiskEngineSettings()
        settings.maximumKeys = 2
        settings.shardCount = 1
        let policy = try Fixtures.policy([RuleConditionConfig(amount: AmountThresholdConfig(above: "1"))], action: "freeze", severity: "critical")
        let engine = RiskEngine(policy: policy, settings: settings)
        _ = engine.evaluate(Fixtures.payment(key: 1, amount: 2_000_000, at: Fixtures.start))
        for key in UInt8(2)...UInt8(10) { _ = engine.evaluate(Fixtures.payment(key: key, at: Fixtures.start)) }
        #expect(Fixtures.isFrozen(engine.evaluate(Fixtures.payment(key: 1, at: Fixtures.start))))
    }

    @Test func concurrentPaymentsAreAllCounted() async throws {
        // 4 tasks x 300 payments of one key in one minute: exactly the ones past the 1000th are refused, whatever
        // the interleaving, because each evaluation counts under the key's lock.
        let engine = RiskEngine(policy: try Fixtures.policy([RuleConditionConfig(calls: CountWindowConfig(window: "1m", above: 1_000))]))
        let refused = await withTaskGroup(of: Int.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var count = 0
                    for index in 0..<300 {
                        // Amounts stay UInt64 in the closure and are converted inside (a captured UInt128 crashed
                        // the test process under Swift 6.3).
                        let amount: UInt64 = 1_000 + UInt64(task)
                        let observation = Fixtures.payment(
                            key: 1, amount: UInt128(amount), at: Fixtures.start.adding(milliseconds: Int64(index)))
                        if !engine.evaluate(observation).isAllowed { count += 1 }
                        _ = engine.evaluate(Fixtures.payment(key: UInt8(2 + task), at: Fixtures.start))
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(refused == 200)
        #expect(engine.trackedKeys.count == 5)
    }
}
