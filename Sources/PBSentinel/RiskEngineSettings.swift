import PBCore

/// The engine's memory bounds and statistical floors: fixed for an engine's life (the policy, by contrast, can be
/// replaced at any time). Defaults suit one gateway; a tracked key holds about 5.5 KB (its buckets, windows and
/// rings, counted from their sizes), so the default bound of 20,000 keys keeps Sentinel near 110 MB however many
/// keys pay.
public struct RiskEngineSettings: Sendable, Hashable, Codable {
    /// Keys whose state is kept; the least recently seen is forgotten beyond this (open breakers are kept apart
    /// and never forgotten this way).
    public var maximumKeys = 20_000
    /// Owners whose velocity is tracked, likewise.
    public var maximumOwners = 10_000
    /// Independent locks; a key and an owner each hash to one, so concurrent payments of different keys rarely wait.
    public var shardCount = 64
    /// Amounts in a key's rolling average (`amountVsAverage`).
    public var rollingAmountCount = 32
    /// Values in the robust (median/MAD) window of amounts and of gaps.
    public var robustWindowCount = 64
    /// Welford's memory: past this many values each new one weighs 1/n (nil: never forget).
    public var welfordMaximumCount: Int? = 2_000
    /// Distinct payees, and services, remembered per key for `newPayee` and `newService`.
    public var rememberedPayeeCount = 16
    public var rememberedServiceCount = 16
    /// Client IPs remembered per key for `newClientIP`.
    public var rememberedClientIPCount = 8
    /// The smallest deviation a z-score divides by, in natural-log units: 0.25 means a change under ~28% never looks
    /// like more than one deviation, however regular the key has been.
    public var amountScaleFloor = 0.25
    public var interArrivalScaleFloor = 0.25
    /// Learning gate: an allowed payment whose mean with the `learningSampleCount - 1` before it is more than
    /// `learningGateZScore` robust deviations out (amounts above, gaps below) is not learned into the baselines, once
    /// they hold `learningGateMinimumHistory` values, for at most `maximumSkippedLearning` payments in a row.
    public var learningGateZScore = 4.5
    public var learningSampleCount = 8
    public var learningGateMinimumHistory = 20
    public var maximumSkippedLearning = 64

    public init() {}

    func validated() -> RiskEngineSettings {
        precondition(maximumKeys > 0 && maximumOwners > 0 && shardCount > 0, "Sentinel needs room for keys and owners")
        precondition(rollingAmountCount > 0 && (3...128).contains(robustWindowCount), "Sentinel windows out of range")
        precondition(amountScaleFloor > 0 && interArrivalScaleFloor > 0, "scale floors must be positive")
        precondition((1...RecentValues.capacity).contains(learningSampleCount), "learning sample of 1 to 16 values")
        return self
    }
}

/// What Sentinel remembers about an owner: the velocity of all its keys together, and its owner-wide rules'
/// cooldowns.
struct OwnerRiskState: Sendable, Hashable, Codable {
    var firstSeen: UnixTime
    var activity = ActivityWindows()
    var cooldowns = RuleCooldowns()

    init(firstSeen: UnixTime) { self.firstSeen = firstSeen }
}
