import Foundation
import PBSentinel
import Testing

@Suite struct StatisticsTests {
    /// Deterministic, irregular data: amounts in logs with a few outliers.
    private static let values: [Double] = (0..<500).map { index in
        let base = sin(Double(index) * 0.37) * 3 + Double(index % 7) * 0.5
        return index % 97 == 0 ? base + 40 : base
    }

    @Test func welfordMatchesTwoPass() {
        var statistics = WelfordStatistics()
        for value in Self.values { statistics.add(value) }
        let mean = Self.values.reduce(0, +) / Double(Self.values.count)
        let variance = Self.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Self.values.count - 1)
        #expect(statistics.count == Self.values.count)
        #expect(abs(statistics.mean - mean) < 1e-12)
        #expect(abs(statistics.variance - variance) < 1e-9 * variance)
    }

    @Test func welfordIsStableFarFromZero() {
        // The textbook sum-of-squares formula loses every digit here; Welford keeps them.
        var statistics = WelfordStatistics()
        for value in [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16] { statistics.add(value) }
        #expect(statistics.mean == 1e9 + 10)
        #expect(abs(statistics.variance - 30) < 1e-6)
    }

    @Test func forgettingWelfordFollowsANewLevel() {
        var statistics = WelfordStatistics(maximumCount: 50)
        for _ in 0..<1_000 { statistics.add(1) }
        for _ in 0..<200 { statistics.add(5) }
        #expect(statistics.count == 50)
        #expect(statistics.mean > 4.9)
    }

    @Test func medianAndMADOnKnownData() {
        var statistics = RobustStatistics(capacity: 16)
        for value in [1.0, 1, 2, 2, 4, 6, 9] { statistics.add(value) }
        #expect(statistics.median == 2)
        // Deviations from 2: 1 1 0 0 2 4 7 -> median 1.
        #expect(statistics.medianAbsoluteDeviation == 1)
        statistics.add(100)
        // 1 1 2 2 4 6 9 100: median 3; deviations sorted 1 1 1 2 2 3 6 97 -> median 2. The outlier moved neither far.
        #expect(statistics.median == 3)
        #expect(statistics.medianAbsoluteDeviation == 2)
    }

    @Test func robustWindowForgetsTheOldestAndMatchesSorting() {
        var statistics = RobustStatistics(capacity: 9)
        for value in Self.values { statistics.add(value) }
        let window = Array(Self.values.suffix(9))
        let sorted = window.sorted()
        let median = sorted[4]
        let deviations = window.map { abs($0 - median) }.sorted()
        #expect(statistics.count == 9)
        #expect(statistics.totalCount == Self.values.count)
        #expect(statistics.median == median)
        #expect(statistics.medianAbsoluteDeviation == deviations[4])
    }

    @Test func robustZScoreIgnoresOutliersThatMoveWelford() {
        var robust = RobustStatistics(capacity: 64)
        var welford = WelfordStatistics()
        for index in 0..<60 {
            let value = index % 10 == 0 ? 50.0 : Double(index % 3)
            robust.add(value)
            welford.add(value)
        }
        // Six huge values inflate the standard deviation so much that 10 looks ordinary to Welford, not to the MAD.
        #expect(welford.zScore(10, scaleFloor: 0.01) < 1)
        #expect(robust.zScore(10, scaleFloor: 0.01) > 5)
    }

    @Test func aStoredWindowComesBackWithTheSameMedianAndMAD() throws {
        var statistics = RobustStatistics(capacity: 9)
        for value in Self.values { statistics.add(value) }
        let decoded = try JSONDecoder().decode(RobustStatistics.self, from: try JSONEncoder().encode(statistics))
        #expect(decoded == statistics)
        #expect(decoded.median == statistics.median)
        #expect(decoded.medianAbsoluteDeviation == statistics.medianAbsoluteDeviation)
        // The cached figures are not stored: the stored form is the window alone, as before they were cached.
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(statistics)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["capacity", "ring", "oldestIndex", "sorted", "totalCount"])
        // A window whose two copies disagree is refused instead of giving wrong statistics.
        var tampered = object ?? [:]
        tampered["sorted"] = [1.0]
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RobustStatistics.self, from: try JSONSerialization.data(withJSONObject: tampered))
        }
    }

    @Test func scaleFloorBoundsAPerfectlyRegularHistory() {
        var robust = RobustStatistics(capacity: 8)
        for _ in 0..<8 { robust.add(3) }
        #expect(robust.medianAbsoluteDeviation == 0)
        #expect(robust.zScore(3.5, scaleFloor: 0.25) == 2)
    }
}
