import Logging
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
