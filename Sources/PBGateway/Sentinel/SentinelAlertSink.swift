import Logging
import PBAlerts
import PBSentinel

/// Where the gateway hands each of Sentinel's events for alerting (webhook, e-mail, chat...). Called from
/// `SentinelService`, off the payment path, once per event in order: `ruleFired` events are the alerts proper (one
/// per incident, thanks to the rules' cooldowns), the others are breaker transitions (`frozen`, `unfrozen`...).
/// `deliver` must not block: enqueue and return.
public protocol SentinelAlertSink: Sendable {
    func deliver(_ event: SentinelEvent)
}

/// The default sink: one log line per event (details never hold secrets).
public struct LoggingSentinelAlertSink: SentinelAlertSink {
    public let logger: Logger

    public init(logger: Logger = Logger(label: "pb.sentinel")) {
        self.logger = logger
    }

    public func deliver(_ event: SentinelEvent) {
        logger.warning(
            "sentinel \(event.kind.rawValue)",
            metadata: [
                "sentinel.subject": .string(event.subject.description), "sentinel.severity": .string(event.severity.rawValue),
                "sentinel.rule": .string(event.ruleID ?? "-"), "sentinel.details": .string(event.details),
            ])
    }
}

/// What the gateway itself does with Sentinel's events: hands them to the sink it was given (by default, a log
/// line), and sends the ones a person must hear about — rule firings and freezes — to the alert dispatcher's
/// channels (webhook, e-mail, Telegram). `submit` never waits; a full queue drops and counts the alert.
struct AlertingSentinelSink: SentinelAlertSink {
    static let alertedKinds: Set<SentinelEvent.Kind> = [.ruleFired, .frozen, .refrozen]

    let next: any SentinelAlertSink
    let dispatcher: AlertDispatcher

    func deliver(_ event: SentinelEvent) {
        next.deliver(event)
        if Self.alertedKinds.contains(event.kind) { _ = dispatcher.submit(Alert(event)) }
    }
}
