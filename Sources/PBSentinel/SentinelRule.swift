import PBCore

/// How bad a finding is: it picks the circuit breaker's policy for a freeze (`BreakerPolicy`) and routes alerts.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case low, medium, high, critical

    public static func < (left: Severity, right: Severity) -> Bool { left.rank < right.rank }

    var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }
}

/// What a rule does when all its conditions hold.
public enum RuleAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// Lets the payment through and stops later rules from acting on it (an explicit exception, e.g. an office IP).
    case allow
    /// Refuses this one payment with the rule's message; the key stays usable.
    case block
    /// Refuses this payment and opens the key's circuit breaker: every later payment is refused until the breaker
    /// closes (after its hold and probes) or the owner unfreezes the key, depending on the severity's policy.
    case freeze
    /// Like `freeze`, for every key of the payment's owner: what an owner-wide velocity rule wants.
    case freezeOwner
    /// Lets the payment through and emits an alert.
    case alert

    /// Ordered by how much a verdict must honour it when several rules fire: the strongest action wins.
    var strength: Int {
        switch self {
        case .alert: 0
        case .allow: 1
        case .block: 2
        case .freeze: 3
        case .freezeOwner: 4
        }
    }
}

/// One declarative rule: when every condition holds for an observation, take the action.
///
/// Rules are built from `SentinelRuleConfig` (the config file or `/v1/sentinel/rules`) and validated then, so the
/// hot path evaluates only well-formed conditions. Conditions are joined by AND; write two rules for an OR.
public struct SentinelRule: Sendable, Hashable {
    /// Unique within a policy; names the rule in verdicts, alerts and events (`call-burst`).
    public let id: String
    /// What the client sees for a block or freeze, and the alert's text.
    public let message: String
    public let conditions: [RuleCondition]
    public let action: RuleAction
    public let severity: Severity
    /// After the rule fires for a key, further firings within this many seconds of the previous one belong to the
    /// same incident: the action still applies but no new alert or event is emitted (one incident, one alert).
    public let cooldownSeconds: Int64

    public init(
        id: String, message: String, conditions: [RuleCondition], action: RuleAction, severity: Severity,
        cooldownSeconds: Int64
    ) throws(SentinelError) {
        guard Self.isValidIdentifier(id) else {
            throw .invalid("id", "'\(id)' must be 1 to 64 lower-case letters, digits or '-', starting with a letter")
        }
        guard !conditions.isEmpty else { throw .invalid("when", "a rule needs at least one condition") }
        guard cooldownSeconds >= 0, cooldownSeconds <= 30 * 86_400 else {
            throw .invalid("cooldownSeconds", "\(cooldownSeconds) is outside 0...2592000 (30 days)")
        }
        guard !message.isEmpty, message.utf8.count <= 200 else {
            throw .invalid("message", "must be 1 to 200 bytes: the client sees it")
        }
        self.id = id
        self.message = message
        self.conditions = conditions
        self.action = action
        self.severity = severity
        self.cooldownSeconds = cooldownSeconds
    }

    /// Whether any condition needs a payment (amount, payee, ...); such a rule never fires on a refusal.
    var needsPayment: Bool { conditions.contains { $0.needsPayment } }

    static func isValidIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-")
        }
    }
}
