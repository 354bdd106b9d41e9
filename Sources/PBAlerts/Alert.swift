import Foundation
import PBCore
import PBSentinel

/// One name/value line of an alert's details, kept in the order given.
public struct AlertDetail: Sendable, Hashable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// What the dispatcher sends: small and generic, so that Sentinel events, metering warnings or a test from the API
/// all go through the same channels. Every field must be free of secrets: it is sent, logged and stored.
public struct Alert: Sendable, Hashable {
    /// Unique per alert; receivers deduplicate on it (a retried webhook carries the same id).
    public let id: String
    /// What happened, machine-readable: `ruleFired`, `frozen`, `test`, ...
    public let kind: String
    public let severity: Severity
    /// Whom it is about, e.g. `key 0x…` or `owner 0x…`.
    public let subject: String
    /// One line for an e-mail subject or a chat message's first line.
    public let title: String
    public let details: [AlertDetail]
    public let time: UnixTime

    public init(
        id: String = Alert.makeId(), kind: String, severity: Severity, subject: String, title: String,
        details: [AlertDetail] = [], time: UnixTime
    ) {
        self.id = id
        self.kind = kind
        self.severity = severity
        self.subject = subject
        self.title = title
        self.details = details
        self.time = time
    }

    /// `al_` and 24 hex digits of randomness.
    public static func makeId() -> String {
        "al_" + Hex.encode((0..<12).map { _ in UInt8.random(in: 0...255) }, prefix: false)
    }

    /// The JSON every channel renders from: the webhook's body, the dead letter's document.
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("kind", .string(kind)), ("severity", .string(severity.rawValue)),
            ("subject", .string(subject)), ("title", .string(title)),
            ("details", .object(details.map { ($0.name, .string($0.value)) })),
            ("time", .string(Self.iso8601(time))),
        ])
    }

    /// Plain text for e-mail and chat: the title, then one `name: value` line per detail, then the id and time.
    public var text: String {
        var lines = ["[\(severity.rawValue.uppercased())] \(title)", "subject: \(subject)", "kind: \(kind)"]
        lines += details.map { "\($0.name): \($0.value)" }
        lines += ["alert: \(id)", "time: \(Self.iso8601(time))"]
        return lines.joined(separator: "\n")
    }

    static func iso8601(_ time: UnixTime) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(time.milliseconds) / 1000))
    }
}

extension Alert {
    /// An alert for something Sentinel did (a rule firing, a freeze, ...). The id is fresh: one event, one alert.
    public init(_ event: SentinelEvent) {
        var details = [AlertDetail("reason", event.details)]
        if let ruleID = event.ruleID { details.append(AlertDetail("rule", ruleID)) }
        if let action = event.action { details.append(AlertDetail("action", action.rawValue)) }
        self.init(
            kind: event.kind.rawValue, severity: event.severity, subject: event.subject.description,
            title: "Sentinel: \(Self.headline(event.kind)) for \(event.subject)", details: details, time: event.time)
    }

    static func headline(_ kind: SentinelEvent.Kind) -> String {
        switch kind {
        case .ruleFired: "rule fired"
        case .frozen: "payments frozen"
        case .halfOpened: "probing after a freeze"
        case .closed: "payments restored"
        case .refrozen: "frozen again"
        case .unfrozen: "freeze lifted"
        }
    }
}
