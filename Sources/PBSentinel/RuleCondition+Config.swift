import PBCore

/// Building a condition from its config entry, naming the field at fault (`calls.window`), and writing it back.
extension RuleCondition {
    public init(config: RuleConditionConfig, decimals: Int) throws(SentinelError) {
        let present = config.presentKinds
        guard present.count == 1, let kind = present.first else {
            throw .invalid(
                nil, present.isEmpty ? "a condition needs one kind, e.g. {calls: {window: 1m, above: 100}}"
                    : "one kind per condition, found \(present.joined(separator: ", ")); list them separately (AND)")
        }
        self = try SentinelError.naming(kind) { try Self.build(config, decimals: decimals) }
    }

    private static func build(_ config: RuleConditionConfig, decimals: Int) throws -> RuleCondition {
        if let threshold = config.amount {
            return .amountAbove(try field("above") { try Amount(parsing: threshold.above, decimals: decimals).baseUnits })
        }
        if let multiple = config.amountVsAverage {
            return .amountVsAverage(
                multipleMillionths: try millionths(multiple.above, field: "above"),
                minimumHistory: try history(multiple.minimumHistory, default: 10, minimum: 1))
        }
        if let calls = config.calls {
            return .calls(scope: try scope(calls.scope), window: try window(calls.window, field: "window"), above: calls.above)
        }
        if let spend = config.spend {
            return .spend(
                scope: try scope(spend.scope), window: try window(spend.window, field: "window"),
                above: try field("above") { try Amount(parsing: spend.above, decimals: decimals).baseUnits })
        }
        if let share = config.spendOfLimit {
            let value = try millionths(share.above, field: "above")
            guard value <= 1_000_000 else { throw SentinelError.invalid("above", "'\(share.above)' is above 1") }
            return .spendOfLimit(window: try window(share.window, field: "window"), millionths: value)
        }
        if let baseline = config.callsVsBaseline ?? config.spendVsBaseline {
            let window = try window(baseline.window, field: "window")
            let longer = try Self.window(baseline.baseline, field: "baseline")
            guard longer.seconds > window.seconds else {
                throw SentinelError.invalid("baseline", "\(longer) must be longer than the window \(window)")
            }
            let multiple = try millionths(baseline.above, field: "above")
            let scope = try scope(baseline.scope)
            return config.callsVsBaseline != nil
                ? .callsVsBaseline(scope: scope, window: window, baseline: longer, multipleMillionths: multiple)
                : .spendVsBaseline(scope: scope, window: window, baseline: longer, multipleMillionths: multiple)
        }
        if let fraction = config.remainingFraction {
            let value = try millionths(fraction.below, field: "below")
            guard value <= 1_000_000 else { throw SentinelError.invalid("below", "'\(fraction.below)' is above 1") }
            return .remainingFractionBelow(millionths: value)
        }
        if let novelty = config.newPayee {
            return .newPayee(minimumHistory: try history(novelty.minimumHistory, default: 20, minimum: 0))
        }
        if let novelty = config.newService {
            return .newService(minimumHistory: try history(novelty.minimumHistory, default: 20, minimum: 0))
        }
        if let novelty = config.newClientIP {
            let seen = novelty.seenFewerThan ?? 1
            guard (1...1_000).contains(seen) else {
                throw SentinelError.invalid("seenFewerThan", "\(seen) is outside 1...1000")
            }
            return .newClientIP(minimumHistory: try history(novelty.minimumHistory, default: 20, minimum: 0), seenFewerThan: seen)
        }
        if let range = config.timeOfDay {
            return .timeOfDay(try TimeOfDayRange(from: range.from, to: range.to, timeZone: range.timeZone ?? "UTC"))
        }
        if let client = config.clientIP { return .clientIP(try ipMatch(client)) }
        if let score = config.amountZScore {
            guard score.below == nil else { throw SentinelError.invalid("below", "amounts are judged by 'above' only") }
            let threshold = try zScore(score.above, field: "above", sign: 1)
            return .amountZScore(
                above: threshold, estimator: try estimator(score.estimator),
                minimumHistory: try history(score.minimumHistory, default: 30, minimum: 3), recent: try recent(score.recent))
        }
        if let score = config.interArrivalZScore {
            guard score.above == nil else {
                throw SentinelError.invalid("above", "gaps between calls are judged by 'below' (faster than usual) only")
            }
            let threshold = try zScore(score.below, field: "below", sign: -1)
            return .interArrivalZScore(
                below: threshold, estimator: try estimator(score.estimator),
                minimumHistory: try history(score.minimumHistory, default: 30, minimum: 3), recent: try recent(score.recent))
        }
        if let refusals = config.refusals {
            guard refusals.scope == nil || refusals.scope == "key" else {
                throw SentinelError.invalid("scope", "refusals are counted per key only")
            }
            return .refusals(window: try window(refusals.window, field: "window"), above: refusals.above)
        }
        throw SentinelError.invalid(nil, "empty condition")
    }

    public func config(decimals: Int) -> RuleConditionConfig {
        func amount(_ value: UInt128) -> String { DecimalString.format(value, fractionDigits: decimals, trimmed: true) }
        func decimal(_ millionths: UInt128) -> String { DecimalString.format(millionths, fractionDigits: 6, trimmed: true) }
        func score(_ value: Double) -> String {
            let thousandths = Int64((value * 1_000).rounded())
            let text = DecimalString.format(UInt128(thousandths.magnitude), fractionDigits: 3, trimmed: true)
            return thousandths < 0 ? "-" + text : text
        }
        switch self {
        case .amountAbove(let value): return RuleConditionConfig(amount: AmountThresholdConfig(above: amount(value)))
        case .amountVsAverage(let multiple, let history):
            return RuleConditionConfig(amountVsAverage: MultipleConfig(above: decimal(multiple), minimumHistory: history))
        case .calls(let scope, let window, let above):
            return RuleConditionConfig(calls: CountWindowConfig(window: window.description, above: above, scope: scope.rawValue))
        case .spend(let scope, let window, let above):
            return RuleConditionConfig(
                spend: SpendWindowConfig(window: window.description, above: amount(above), scope: scope.rawValue))
        case .spendOfLimit(let window, let share):
            return RuleConditionConfig(spendOfLimit: LimitFractionConfig(window: window.description, above: decimal(share)))
        case .callsVsBaseline(let scope, let window, let baseline, let multiple):
            return RuleConditionConfig(
                callsVsBaseline: BaselineConfig(
                    window: window.description, baseline: baseline.description, above: decimal(multiple), scope: scope.rawValue))
        case .spendVsBaseline(let scope, let window, let baseline, let multiple):
            return RuleConditionConfig(
                spendVsBaseline: BaselineConfig(
                    window: window.description, baseline: baseline.description, above: decimal(multiple), scope: scope.rawValue))
        case .remainingFractionBelow(let fraction):
            return RuleConditionConfig(remainingFraction: FractionConfig(below: decimal(fraction)))
        case .newPayee(let history): return RuleConditionConfig(newPayee: NoveltyConfig(minimumHistory: history))
        case .newService(let history): return RuleConditionConfig(newService: NoveltyConfig(minimumHistory: history))
        case .newClientIP(let history, let seen):
            return RuleConditionConfig(newClientIP: ClientIPNoveltyConfig(minimumHistory: history, seenFewerThan: seen))
        case .timeOfDay(let range):
            return RuleConditionConfig(
                timeOfDay: TimeOfDayConfig(from: range.fromText, to: range.toText, timeZone: range.timeZoneIdentifier))
        case .clientIP(let match):
            let texts = match.ranges.map(\.description)
            return RuleConditionConfig(
                clientIP: match.negated ? ClientIPConfig(notIn: texts) : ClientIPConfig(inRanges: texts))
        case .amountZScore(let above, let estimator, let history, let recent):
            return RuleConditionConfig(
                amountZScore: ZScoreConfig(
                    above: score(above), estimator: estimator.rawValue, minimumHistory: history, recent: recent))
        case .interArrivalZScore(let below, let estimator, let history, let recent):
            return RuleConditionConfig(
                interArrivalZScore: ZScoreConfig(
                    below: score(below), estimator: estimator.rawValue, minimumHistory: history, recent: recent))
        case .refusals(let window, let above):
            return RuleConditionConfig(refusals: CountWindowConfig(window: window.description, above: above))
        }
    }

    // MARK: - Field parsers (each error names its field)

    private static func field<Value>(_ name: String, _ body: () throws -> Value) throws -> Value {
        try SentinelError.naming(name, body)
    }

    private static func millionths(_ text: String, field name: String) throws -> UInt128 {
        let value = try field(name) { try DecimalString.parse(text, fractionDigits: 6) }
        guard value > 0 else { throw SentinelError.invalid(name, "must be above 0") }
        return value
    }

    private static func window(_ text: String, field name: String) throws -> RuleWindow {
        try field(name) { try RuleWindow(parsing: text) }
    }

    private static func scope(_ text: String?) throws -> RuleScope {
        guard let text else { return .key }
        guard let scope = RuleScope(rawValue: text) else {
            throw SentinelError.invalid("scope", "'\(text)' is not key or owner")
        }
        return scope
    }

    private static func estimator(_ text: String?) throws -> Estimator {
        guard let text else { return .robust }
        guard let estimator = Estimator(rawValue: text) else {
            throw SentinelError.invalid("estimator", "'\(text)' is not robust or welford")
        }
        return estimator
    }

    /// The sample size of a "recent" z-score: at most the robust window's smallest size.
    private static func recent(_ value: Int?) throws -> Int {
        let recent = value ?? 1
        guard (1...16).contains(recent) else { throw SentinelError.invalid("recent", "\(recent) is outside 1...16") }
        return recent
    }

    private static func history(_ value: Int?, default fallback: Int, minimum: Int) throws -> Int {
        let history = value ?? fallback
        guard (minimum...1_000_000).contains(history) else {
            throw SentinelError.invalid("minimumHistory", "\(history) is outside \(minimum)...1000000")
        }
        return history
    }

    /// A signed decimal with at most 3 fractional digits whose sign must be `sign` (z-scores are statistics, so a
    /// `Double` is right here).
    private static func zScore(_ text: String?, field name: String, sign: Int) throws -> Double {
        guard let text else { throw SentinelError.invalid(name, "is required") }
        let negative = text.hasPrefix("-")
        let magnitude = try field(name) { try DecimalString.parse(String(text.dropFirst(negative ? 1 : 0)), fractionDigits: 3) }
        guard magnitude > 0, negative == (sign < 0), magnitude <= 1_000_000 else {
            throw SentinelError.invalid(name, "'\(text)' must be \(sign < 0 ? "below" : "above") 0 and at most 1000 in size")
        }
        return Double(magnitude) / 1_000 * Double(sign)
    }

    private static func ipMatch(_ config: ClientIPConfig) throws -> IPAddressMatch {
        guard (config.inRanges == nil) != (config.notIn == nil) else {
            throw SentinelError.invalid(nil, "set exactly one of 'in' and 'notIn'")
        }
        let name = config.inRanges != nil ? "in" : "notIn"
        let texts = config.inRanges ?? config.notIn ?? []
        guard !texts.isEmpty, texts.count <= 1_000 else { throw SentinelError.invalid(name, "needs 1 to 1000 ranges") }
        var ranges: [IPAddressRange] = []
        for (index, text) in texts.enumerated() {
            ranges.append(try field("\(name)[\(index)]") { try IPAddressRange(parsing: text) })
        }
        return IPAddressMatch(ranges: ranges, negated: config.notIn != nil)
    }
}

extension RuleConditionConfig {
    /// The names of the kinds set in this entry (exactly one in a valid condition).
    var presentKinds: [String] {
        let kinds: [(String, Bool)] = [
            ("amount", amount != nil), ("amountVsAverage", amountVsAverage != nil), ("calls", calls != nil),
            ("spend", spend != nil), ("spendOfLimit", spendOfLimit != nil), ("callsVsBaseline", callsVsBaseline != nil),
            ("spendVsBaseline", spendVsBaseline != nil), ("remainingFraction", remainingFraction != nil),
            ("newPayee", newPayee != nil), ("newService", newService != nil),
            ("newClientIP", newClientIP != nil), ("timeOfDay", timeOfDay != nil),
            ("clientIP", clientIP != nil), ("amountZScore", amountZScore != nil),
            ("interArrivalZScore", interArrivalZScore != nil), ("refusals", refusals != nil),
        ]
        return kinds.filter(\.1).map(\.0)
    }
}
