import PBCore

/// What Sentinel enforces: the rules in order, and how each severity's circuit breaker comes back. Immutable and
/// validated; the engine swaps a whole policy at once (`RiskEngine.replacePolicy`).
public struct SentinelPolicy: Sendable, Hashable {
    /// Decimals of the asset that the config's amounts are written in (amounts are held in base units).
    public let decimals: Int
    public let rules: [SentinelRule]
    /// One policy per severity, always complete.
    public let breakerPolicies: [Severity: BreakerPolicy]

    public init(decimals: Int = 6, rules: [SentinelRule], breakerPolicies: [Severity: BreakerPolicy] = [:]) throws(SentinelError) {
        guard Asset.decimalsRange.contains(decimals) else { throw .invalid("decimals", "\(decimals) is outside 0...36") }
        var seen: Set<String> = []
        for (index, rule) in rules.enumerated() where !seen.insert(rule.id).inserted {
            throw .invalid("rules[\(index)].id", "'\(rule.id)' is used by an earlier rule; rule ids must be unique")
        }
        self.decimals = decimals
        self.rules = rules
        self.breakerPolicies = BreakerPolicy.defaults.merging(breakerPolicies) { _, configured in configured }
    }

    /// The default rules (`defaultRules`) with the default breaker policies.
    public static let standard = try! SentinelPolicy(rules: defaultRules)

    /// The seed's three rules, then the rules the evaluation (`docs/SENTINEL.md`) showed are needed to catch slow
    /// drains, bursts under the per-minute cap and fan-outs without freezing normal agents.
    public static var defaultRules: [SentinelRule] {
        let usdc = 6
        return defaultRuleConfigs.enumerated().map { index, config in
            do {
                return try SentinelRule(config: config, decimals: usdc)
            } catch {
                fatalError("default rule \(index) is invalid: \(error)")
            }
        }
    }

    /// The default rules in their config form, which is also what `docs/SENTINEL.md` shows.
    public static let defaultRuleConfigs: [SentinelRuleConfig] = [
        // Seed rule 1: "amount > 10x the key's rolling average".
        SentinelRuleConfig(
            id: "amount-spike", message: "payment is more than 10 times this key's recent average",
            when: [RuleConditionConfig(amountVsAverage: MultipleConfig(above: "10", minimumHistory: 10))],
            action: "freeze", severity: "high", cooldownSeconds: 3_600),
        // Seed rule 2: "> 100 calls per minute".
        SentinelRuleConfig(
            id: "call-burst", message: "more than 100 paid calls in a minute",
            when: [RuleConditionConfig(calls: CountWindowConfig(window: "1m", above: 100))],
            action: "freeze", severity: "high", cooldownSeconds: 3_600),
        // Seed rule 3: "remaining budget < 10%" is a warning for the owner, not a refusal.
        SentinelRuleConfig(
            id: "low-balance", message: "less than 10% of the grant's limit is left",
            when: [RuleConditionConfig(remainingFraction: FractionConfig(below: "0.1"))],
            action: "alert", severity: "low", cooldownSeconds: 86_400),
        // Anomaly: the mean log-amount of the last 4 payments far above the key's median (robust z-score).
        SentinelRuleConfig(
            id: "amount-shift", message: "recent payments are far above this key's usual amounts",
            when: [RuleConditionConfig(amountZScore: ZScoreConfig(above: "5", minimumHistory: 20, recent: 4))],
            action: "freeze", severity: "high", cooldownSeconds: 3_600),
        // Anomaly: the last 5 gaps between calls far shorter than the key's usual gaps.
        SentinelRuleConfig(
            id: "call-rush", message: "calls arrive far faster than this key's usual pace",
            when: [RuleConditionConfig(interArrivalZScore: ZScoreConfig(below: "-7", minimumHistory: 20, recent: 5))],
            action: "freeze", severity: "high", cooldownSeconds: 3_600),
        // Velocity across all keys of one owner: a fan-out over many keys, each under its own caps.
        SentinelRuleConfig(
            id: "owner-velocity", message: "this owner's keys together pay far faster than usual",
            when: [
                RuleConditionConfig(callsVsBaseline: BaselineConfig(window: "10m", baseline: "24h", above: "4", scope: "owner")),
                RuleConditionConfig(calls: CountWindowConfig(window: "10m", above: 200, scope: "owner")),
            ],
            action: "freezeOwner", severity: "high", cooldownSeconds: 3_600),
        // The gateway refused this key over 20 times in a minute: replays, forged calls, hammering a cap.
        SentinelRuleConfig(
            id: "refusal-storm", message: "too many refused payments in a minute",
            when: [RuleConditionConfig(refusals: CountWindowConfig(window: "1m", above: 20))],
            action: "freeze", severity: "medium", cooldownSeconds: 3_600),
    ]
}
