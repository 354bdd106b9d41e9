import PBCore
import PBCrypto

/// Whom an event or a breaker is about: one session key, or every key of an owner.
public enum SentinelSubject: Sendable, Hashable, Codable, CustomStringConvertible {
    case key(Bytes32)
    case owner(EthereumAddress)

    public var description: String {
        switch self {
        case .key(let id): "key \(id)"
        case .owner(let address): "owner \(address)"
        }
    }
}

/// Something Sentinel did that the store keeps and the API lists: a rule firing (the first of an incident, which is
/// also the alert to dispatch) or a circuit-breaker transition.
public struct SentinelEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A rule fired after its cooldown was quiet: the first firing of an incident. Alerts are these.
        case ruleFired
        /// The breaker opened: the key (or every key of the owner) refuses payments.
        case frozen
        /// The hold ended: a few probe payments are let through.
        case halfOpened
        /// The probes passed: the breaker closed and the key pays normally again.
        case closed
        /// A rule fired while half-open: open again, with a longer hold.
        case refrozen
        /// The owner (signed request) or the merchant lifted the freeze.
        case unfrozen
    }

    public let subject: SentinelSubject
    public let kind: Kind
    public let severity: Severity
    /// The rule behind it; nil for a manual unfreeze.
    public let ruleID: String?
    public let action: RuleAction?
    /// Human-readable and free of secrets: what fired and the numbers that made it fire.
    public let details: String
    public let time: UnixTime

    public init(
        subject: SentinelSubject, kind: Kind, severity: Severity, ruleID: String?, action: RuleAction?,
        details: String, time: UnixTime
    ) {
        self.subject = subject
        self.kind = kind
        self.severity = severity
        self.ruleID = ruleID
        self.action = action
        self.details = details
        self.time = time
    }
}

/// Why a payment was refused: the rule, the text the client sees, and its severity.
public struct RiskReason: Sendable, Hashable, Codable {
    public let ruleID: String
    public let message: String
    public let severity: Severity

    public init(ruleID: String, message: String, severity: Severity) {
        self.ruleID = ruleID
        self.message = message
        self.severity = severity
    }
}

/// Sentinel's answer for one payment.
public struct RiskVerdict: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        /// Charge it (alerts may still be emitted).
        case allow
        /// Refuse this payment; the key stays usable. The gateway answers with the reason's message.
        case block(RiskReason)
        /// Refuse this payment and freeze: from the next request on, the subject's breaker refuses everything. For a
        /// manual-only severity the gateway also marks the grant frozen in the store (`GrantStatus.frozen`).
        case freeze(RiskReason, SentinelSubject)
        /// Refused because the key's (or its owner's) breaker is open.
        case frozen(RiskReason, SentinelSubject)
    }

    public let decision: Decision
    /// Everything to store, in order: rule firings (the alerts) and breaker transitions.
    public let events: [SentinelEvent]

    public init(decision: Decision, events: [SentinelEvent]) {
        self.decision = decision
        self.events = events
    }

    public static let allow = RiskVerdict(decision: .allow, events: [])

    /// The events to dispatch as alerts: the first firing of each incident.
    public var alerts: [SentinelEvent] { events.filter { $0.kind == .ruleFired } }

    /// The reason of a refusal; nil when allowed.
    public var reason: RiskReason? {
        switch decision {
        case .allow: nil
        case .block(let reason), .freeze(let reason, _), .frozen(let reason, _): reason
        }
    }

    public var isAllowed: Bool {
        if case .allow = decision { return true }
        return false
    }
}
