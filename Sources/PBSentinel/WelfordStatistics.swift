/// Welford's online mean and variance: one pass, numerically stable, constant memory.
///
/// Values are `Double` because they are statistics (logarithms of amounts and of seconds between calls), never
/// money: amounts themselves stay integers everywhere else.
///
/// `maximumCount` turns it into a slowly forgetting estimator: once `count` reaches it, each new value weighs
/// `1 / maximumCount`, like an exponentially weighted mean, so a key whose habits drift is judged by its recent
/// habits and not by last year's. With no maximum it is the classic algorithm, equal to a two-pass computation.
public struct WelfordStatistics: Sendable, Hashable, Codable {
    public private(set) var count: Int = 0
    public private(set) var mean: Double = 0
    /// Sum of squared differences from the mean (M2 in Welford's notation).
    private var squaredDeviations: Double = 0
    public let maximumCount: Int?

    public init(maximumCount: Int? = nil) {
        precondition(maximumCount.map { $0 >= 2 } ?? true, "a forgetting Welford needs a maximum of at least 2")
        self.maximumCount = maximumCount
    }

    public mutating func add(_ value: Double) {
        if let maximumCount, count >= maximumCount {
            // Keep the weight of history at maximumCount - 1 values: scale M2 down first, as if the oldest share of
            // the evidence had been dropped, then apply the usual update with n = maximumCount.
            squaredDeviations *= Double(maximumCount - 1) / Double(maximumCount)
            count = maximumCount - 1
        }
        count += 1
        let delta = value - mean
        mean += delta / Double(count)
        squaredDeviations += delta * (value - mean)
    }

    /// The sample variance (n - 1 in the denominator); zero below two values.
    public var variance: Double { count < 2 ? 0 : max(squaredDeviations, 0) / Double(count - 1) }

    public var standardDeviation: Double { variance.squareRoot() }

    /// How many standard deviations `value` lies from the mean, with `scaleFloor` as the smallest deviation used,
    /// so that a perfectly regular history (deviation 0) does not make every tiny change infinitely surprising.
    public func zScore(_ value: Double, scaleFloor: Double) -> Double {
        (value - mean) / max(standardDeviation, scaleFloor)
    }

    /// The z-score of the mean of `earlier` values and `value`, scaled by sqrt(n) as for a sample mean.
    func zScore(ofMean earlier: (sum: Double, count: Int), plus value: Double, scaleFloor: Double) -> Double {
        let count = Double(earlier.count + 1)
        return zScore((earlier.sum + value) / count, scaleFloor: scaleFloor) * count.squareRoot()
    }
}
