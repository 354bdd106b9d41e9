/// How often and how patiently one channel retries one alert: at most `maximumAttempts` attempts (the first
/// included), separated by exponentially growing delays with jitter.
///
/// The delay after the n-th failure is `min(firstDelay * 2^(n-1), maximumDelay)`, then drawn uniformly from its upper
/// half ("equal jitter"): retries still back off, but many alerts that failed together do not retry in lockstep.
public struct RetryPolicy: Sendable, Hashable {
    public static let attemptsRange = 1...20
    public let maximumAttempts: Int
    public let firstDelay: Duration
    public let maximumDelay: Duration

    /// Clamps `maximumAttempts` to 1...20 and the delays to at least a millisecond, the maximum to at least the first.
    public init(maximumAttempts: Int = 5, firstDelay: Duration = .seconds(2), maximumDelay: Duration = .seconds(300)) {
        self.maximumAttempts = min(max(maximumAttempts, Self.attemptsRange.lowerBound), Self.attemptsRange.upperBound)
        self.firstDelay = max(firstDelay, .milliseconds(1))
        self.maximumDelay = max(maximumDelay, self.firstDelay)
    }

    /// The wait after failure number `failure` (1 for the first), with `unitRandom` in 0..<1 choosing the jitter.
    public func delay(afterFailure failure: Int, unitRandom: Double) -> Duration {
        let doublings = min(max(failure - 1, 0), 30)
        var ceiling = firstDelay
        for _ in 0..<doublings where ceiling < maximumDelay { ceiling = ceiling * 2 }
        ceiling = min(ceiling, maximumDelay)
        let fraction = 0.5 + 0.5 * min(max(unitRandom, 0), 1)
        return ceiling * fraction
    }
}
