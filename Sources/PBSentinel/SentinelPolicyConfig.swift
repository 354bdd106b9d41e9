/// The configuration form of a `SentinelPolicy`: plain values and exact decimal strings, what the `sentinel:`
/// section of `pb.yaml` and the body of `/v1/sentinel/rules` map onto. `SentinelPolicy(config:)` validates it and
/// names the field of any error (`rules[1].when[0].calls.window`).
///
/// ```yaml
/// decimals: 6                       # amounts are whole tokens: "5" = 5 USDC
/// rules:
///   - id: amount-spike
///     message: payment far above this key's usual amount
///     when: [{amountVsAverage: {above: "10", minimumHistory: 10}}]
///     action: freeze                # allow | block | freeze | freezeOwner | alert
///     severity: high                # low | medium | high | critical
///     cooldownSeconds: 3600
/// breaker:
///   high: {holdSeconds: 3600, probeSeconds: 3600, probeAllowance: 3, maximumHoldSeconds: 86400}
///   critical: {probeSeconds: 3600, probeAllowance: 1}   # no holdSeconds: frozen until the owner unfreezes
/// ```
public struct SentinelPolicyConfig: Codable, Hashable, Sendable {
    /// The decimals of the asset amounts are written in; 6 (USDC) when absent.
    public var decimals: Int?
    /// Absent: the default rules (`SentinelPolicy.defaultRules`). Present (even empty): exactly these.
    public var rules: [SentinelRuleConfig]?
    /// Per severity (`low` ... `critical`); a severity left out keeps its default policy.
    public var breaker: [String: BreakerPolicyConfig]?

    public init(decimals: Int? = nil, rules: [SentinelRuleConfig]? = nil, breaker: [String: BreakerPolicyConfig]? = nil) {
        self.decimals = decimals
        self.rules = rules
        self.breaker = breaker
    }
}

public struct SentinelRuleConfig: Codable, Hashable, Sendable {
    public var id: String
    /// What a blocked client sees and the alert says; a text naming the rule when absent.
    public var message: String?
    /// All must hold (AND). Each entry has exactly one key naming its kind.
    public var when: [RuleConditionConfig]
    public var action: String
    public var severity: String
    /// 0 when absent: every firing alerts.
    public var cooldownSeconds: Int64?

    public init(
        id: String, message: String? = nil, when: [RuleConditionConfig], action: String, severity: String,
        cooldownSeconds: Int64? = nil
    ) {
        self.id = id
        self.message = message
        self.when = when
        self.action = action
        self.severity = severity
        self.cooldownSeconds = cooldownSeconds
    }
}

/// One condition: exactly one field is set, and its name is the condition's kind.
public struct RuleConditionConfig: Codable, Hashable, Sendable {
    public var amount: AmountThresholdConfig?
    public var amountVsAverage: MultipleConfig?
    public var calls: CountWindowConfig?
    public var spend: SpendWindowConfig?
    public var spendOfLimit: LimitFractionConfig?
    public var callsVsBaseline: BaselineConfig?
    public var spendVsBaseline: BaselineConfig?
    public var remainingFraction: FractionConfig?
    public var newPayee: NoveltyConfig?
    public var newService: NoveltyConfig?
    public var newClientIP: ClientIPNoveltyConfig?
    public var timeOfDay: TimeOfDayConfig?
    public var clientIP: ClientIPConfig?
    public var amountZScore: ZScoreConfig?
    public var interArrivalZScore: ZScoreConfig?
    public var refusals: CountWindowConfig?

    public init(
        amount: AmountThresholdConfig? = nil, amountVsAverage: MultipleConfig? = nil, calls: CountWindowConfig? = nil,
        spend: SpendWindowConfig? = nil, spendOfLimit: LimitFractionConfig? = nil, callsVsBaseline: BaselineConfig? = nil, spendVsBaseline: BaselineConfig? = nil,
        remainingFraction: FractionConfig? = nil, newPayee: NoveltyConfig? = nil, newService: NoveltyConfig? = nil,
        newClientIP: ClientIPNoveltyConfig? = nil, timeOfDay: TimeOfDayConfig? = nil, clientIP: ClientIPConfig? = nil, amountZScore: ZScoreConfig? = nil,
        interArrivalZScore: ZScoreConfig? = nil, refusals: CountWindowConfig? = nil
    ) {
        self.amount = amount
        self.amountVsAverage = amountVsAverage
        self.calls = calls
        self.spend = spend
        self.spendOfLimit = spendOfLimit
        self.callsVsBaseline = callsVsBaseline
        self.spendVsBaseline = spendVsBaseline
        self.remainingFraction = remainingFraction
        self.newPayee = newPayee
        self.newService = newService
        self.newClientIP = newClientIP
        self.timeOfDay = timeOfDay
        self.clientIP = clientIP
        self.amountZScore = amountZScore
        self.interArrivalZScore = interArrivalZScore
        self.refusals = refusals
    }
}

/// `{above: "5"}`: whole tokens, exact.
public struct AmountThresholdConfig: Codable, Hashable, Sendable {
    public var above: String
    public init(above: String) { self.above = above }
}

/// `{above: "10", minimumHistory: 10}`: an exact multiple, at most 6 fractional digits.
public struct MultipleConfig: Codable, Hashable, Sendable {
    public var above: String
    public var minimumHistory: Int?
    public init(above: String, minimumHistory: Int? = nil) {
        self.above = above
        self.minimumHistory = minimumHistory
    }
}

/// `{window: "1m", above: 100, scope: key}` (scope `owner` counts all the owner's keys; refusals are per key).
public struct CountWindowConfig: Codable, Hashable, Sendable {
    public var window: String
    public var above: UInt64
    public var scope: String?
    public init(window: String, above: UInt64, scope: String? = nil) {
        self.window = window
        self.above = above
        self.scope = scope
    }
}

/// `{window: "1h", above: "50", scope: key}`: whole tokens.
public struct SpendWindowConfig: Codable, Hashable, Sendable {
    public var window: String
    public var above: String
    public var scope: String?
    public init(window: String, above: String, scope: String? = nil) {
        self.window = window
        self.above = above
        self.scope = scope
    }
}

/// `{window: "1h", above: "0.02"}`: the key's spend in the window above 2% of its grant's total limit.
public struct LimitFractionConfig: Codable, Hashable, Sendable {
    public var window: String
    public var above: String
    public init(window: String, above: String) {
        self.window = window
        self.above = above
    }
}

/// `{window: "10m", baseline: "24h", above: "6", scope: owner}`: the window's rate above 6x the baseline's.
public struct BaselineConfig: Codable, Hashable, Sendable {
    public var window: String
    public var baseline: String
    public var above: String
    public var scope: String?
    public init(window: String, baseline: String, above: String, scope: String? = nil) {
        self.window = window
        self.baseline = baseline
        self.above = above
        self.scope = scope
    }
}

/// `{below: "0.1"}`: a fraction of the grant's total limit, 0...1, at most 6 fractional digits.
public struct FractionConfig: Codable, Hashable, Sendable {
    public var below: String
    public init(below: String) { self.below = below }
}

/// `{minimumHistory: 20}`: payments the key must have made before a payee or service counts as new.
public struct NoveltyConfig: Codable, Hashable, Sendable {
    public var minimumHistory: Int?
    public init(minimumHistory: Int? = nil) { self.minimumHistory = minimumHistory }
}

/// `{minimumHistory: 20, seenFewerThan: 10}`: an address the key paid from fewer than 10 times (1 when absent).
public struct ClientIPNoveltyConfig: Codable, Hashable, Sendable {
    public var minimumHistory: Int?
    public var seenFewerThan: Int?
    public init(minimumHistory: Int? = nil, seenFewerThan: Int? = nil) {
        self.minimumHistory = minimumHistory
        self.seenFewerThan = seenFewerThan
    }
}

/// `{from: "22:00", to: "06:00", timeZone: Europe/Berlin}`; UTC when the zone is absent.
public struct TimeOfDayConfig: Codable, Hashable, Sendable {
    public var from: String
    public var to: String
    public var timeZone: String?
    public init(from: String, to: String, timeZone: String? = nil) {
        self.from = from
        self.to = to
        self.timeZone = timeZone
    }
}

/// `{in: ["203.0.113.0/24"]}` or `{notIn: [...]}`, exactly one of them.
public struct ClientIPConfig: Codable, Hashable, Sendable {
    public var inRanges: [String]?
    public var notIn: [String]?

    enum CodingKeys: String, CodingKey {
        case inRanges = "in"
        case notIn
    }

    public init(inRanges: [String]? = nil, notIn: [String]? = nil) {
        self.inRanges = inRanges
        self.notIn = notIn
    }
}

/// `{above: "6", estimator: robust, minimumHistory: 30, recent: 4}` for amounts; `{below: "-5", ...}` for
/// inter-arrival times. Thresholds are decimal strings with at most 3 fractional digits.
public struct ZScoreConfig: Codable, Hashable, Sendable {
    public var above: String?
    public var below: String?
    /// `robust` (median/MAD, the default) or `welford` (mean/standard deviation).
    public var estimator: String?
    public var minimumHistory: Int?
    /// How many of the latest values (this one included) are averaged before judging; 1 when absent.
    public var recent: Int?
    public init(
        above: String? = nil, below: String? = nil, estimator: String? = nil, minimumHistory: Int? = nil, recent: Int? = nil
    ) {
        self.above = above
        self.below = below
        self.estimator = estimator
        self.minimumHistory = minimumHistory
        self.recent = recent
    }
}

/// One severity's breaker policy; see `BreakerPolicy`. Absent fields keep that severity's defaults, except
/// `holdSeconds`, whose absence means "until unfrozen by the owner".
public struct BreakerPolicyConfig: Codable, Hashable, Sendable {
    public var holdSeconds: Int64?
    public var probeSeconds: Int64?
    public var probeAllowance: Int?
    public var maximumHoldSeconds: Int64?
    public init(holdSeconds: Int64? = nil, probeSeconds: Int64? = nil, probeAllowance: Int? = nil, maximumHoldSeconds: Int64? = nil) {
        self.holdSeconds = holdSeconds
        self.probeSeconds = probeSeconds
        self.probeAllowance = probeAllowance
        self.maximumHoldSeconds = maximumHoldSeconds
    }
}
