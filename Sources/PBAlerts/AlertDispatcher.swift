import Logging
import PBCore
import PBStore
import ServiceLifecycle
import Synchronization

/// Sends alerts to every configured channel, off the payment path: `submit` only puts the alert in a bounded
/// in-memory queue and returns at once; the `run` loop (a `Service` in the gateway's ServiceGroup) takes alerts
/// from it, at most `maximumConcurrentAlerts` at a time, and delivers each on every channel whose minimum severity
/// it reaches, retrying failures with `RetryPolicy`. Every attempt is appended to the store's delivery log; an alert
/// a channel could not deliver in its attempts goes to the dead-letter list.
///
/// Bounds: `queueCapacity` alerts wait (plus those in flight); beyond it the overflow policy drops one and counts it
/// (`statistics.dropped`). Attempts per channel are bounded by the policy, each attempt by the channel's timeout.
///
/// Graceful shutdown: no new alerts are accepted; backoff sleeps end at once, so each failing delivery makes one last
/// attempt; alerts still queued are attempted once, until `drainTime` has passed; after that they go to the
/// dead-letter list unsent ("not sent: gateway shut down"). Nothing accepted is lost without a trace.
public final class AlertDispatcher: Service, Sendable {
    /// What happens when an alert arrives at a full queue.
    public enum Overflow: String, Sendable, Hashable {
        /// Keep what is queued and refuse the new alert (`submit` returns false): the incident's first alerts, which
        /// say the most, are the ones kept. The default.
        case dropNewest
        /// Drop the oldest queued alert to make room for the new one.
        case dropOldest
    }

    public struct Settings: Sendable {
        public var queueCapacity = 1_024
        public var overflow = Overflow.dropNewest
        public var retry = RetryPolicy()
        public var maximumConcurrentAlerts = 8
        /// How long shutdown keeps attempting what is queued before dead-lettering the rest unsent.
        public var drainTime = Duration.seconds(10)

        public init() {}
    }

    /// Counters since start; `queued` is the number waiting now.
    public struct Statistics: Sendable, Hashable {
        public var accepted = 0
        public var dropped = 0
        public var delivered = 0
        public var deadLettered = 0
        public var queued = 0
    }

    public let channels: [any AlertChannel]
    public let settings: Settings
    let store: any AlertStore
    let clock: any WallClock
    let logger: Logger
    private let stream: AsyncStream<Alert>
    private let continuation: AsyncStream<Alert>.Continuation
    private let counters = Mutex(Statistics())
    private let shutdown: ShutdownSignal

    public init(
        channels: [any AlertChannel], store: any AlertStore, settings: Settings = Settings(),
        clock: any WallClock = SystemWallClock(), logger: Logger
    ) {
        self.channels = channels
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
        let capacity = max(settings.queueCapacity, 1)
        (stream, continuation) = AsyncStream.makeStream(
            of: Alert.self,
            bufferingPolicy: settings.overflow == .dropNewest ? .bufferingOldest(capacity) : .bufferingNewest(capacity))
        shutdown = ShutdownSignal(drainTime: settings.drainTime)
    }

    /// Queues `alert` without waiting; true when it is queued. False when the queue is full under `.dropNewest` or
    /// the dispatcher has shut down. Under `.dropOldest` a full queue drops its oldest alert instead (counted).
    @discardableResult
    public func submit(_ alert: Alert) -> Bool {
        let result = continuation.yield(alert)
        let (queued, dropped) = counters.withLock { counters -> (Bool, Int?) in
            switch result {
            case .enqueued:
                counters.accepted += 1
                counters.queued += 1
                return (true, nil)
            case .dropped:
                counters.dropped += 1
                if settings.overflow == .dropOldest { counters.accepted += 1 }
                return (settings.overflow == .dropOldest, counters.dropped)
            case .terminated:
                return (false, nil)
            @unknown default:
                return (false, nil)
            }
        }
        // One line per hundred drops: a storm that fills the queue must not also flood the log.
        if let dropped, dropped % 100 == 1 {
            logger.warning("alert queue full, alert dropped", metadata: ["alerts.dropped": "\(dropped)"])
        }
        return queued
    }

    public var statistics: Statistics { counters.withLock { $0 } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var inFlight = 0
                for await alert in stream {
                    counters.withLock { $0.queued -= 1 }
                    if inFlight >= max(settings.maximumConcurrentAlerts, 1) {
                        await group.next()
                        inFlight -= 1
                    }
                    group.addTask { await self.dispatch(alert) }
                    inFlight += 1
                }
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
    }

    /// Stops accepting alerts and ends backoff sleeps; `run` returns once what was queued is delivered or
    /// dead-lettered.
    public func beginShutdown() {
        shutdown.trigger()
        continuation.finish()
    }

    /// Delivers one alert on each eligible channel, concurrently.
    public func dispatch(_ alert: Alert) async {
        await withTaskGroup(of: Void.self) { group in
            for channel in channels where alert.severity >= channel.minimumSeverity {
                group.addTask { await self.deliver(alert, on: channel) }
            }
        }
    }

    func deliver(_ alert: Alert, on channel: any AlertChannel) async {
        var attempt = 0
        var lastError = "not sent: gateway shut down"
        while !shutdown.isPastDrainDeadline {
            attempt += 1
            let failure: String?
            do {
                try await channel.deliver(alert)
                failure = nil
            } catch {
                failure = "\(error)"
            }
            let isLast = failure != nil && (attempt >= settings.retry.maximumAttempts || shutdown.isTriggered)
            let outcome: AlertAttemptOutcome = failure == nil ? .delivered : isLast ? .failed : .retrying
            await log(alert, channel: channel.name, attempt: attempt, outcome: outcome, detail: failure ?? "")
            guard let failure else {
                counters.withLock { $0.delivered += 1 }
                return
            }
            lastError = failure
            if isLast { break }
            await shutdown.sleep(for: settings.retry.delay(afterFailure: attempt, unitRandom: Double.random(in: 0..<1)))
        }
        await deadLetter(alert, channel: channel.name, attempts: attempt, lastError: lastError)
    }

    private func log(_ alert: Alert, channel: String, attempt: Int, outcome: AlertAttemptOutcome, detail: String) async {
        let record = AlertDeliveryAttempt(
            alertId: alert.id, channel: channel, attempt: attempt, outcome: outcome, detail: detail, kind: alert.kind,
            severity: alert.severity.rawValue, subject: alert.subject, at: clock.now)
        do { try await store.recordAlertAttempt(record) } catch {
            logger.error("storing an alert delivery attempt failed", metadata: ["alert": "\(alert.id)", "error": "\(error)"])
        }
        if outcome != .delivered {
            logger.warning(
                "alert delivery failed",
                metadata: ["alert": "\(alert.id)", "channel": "\(channel)", "attempt": "\(attempt)", "detail": "\(detail)"])
        }
    }

    private func deadLetter(_ alert: Alert, channel: String, attempts: Int, lastError: String) async {
        counters.withLock { $0.deadLettered += 1 }
        let letter = AlertDeadLetter(
            alertId: alert.id, channel: channel, attempts: attempts, lastError: lastError,
            document: alert.json.serialized(), at: clock.now)
        do { try await store.addAlertDeadLetter(letter) } catch {
            // The log line is then the only trace: it carries the whole alert (alerts hold no secrets).
            logger.error(
                "storing a dead letter failed",
                metadata: ["alert": "\(letter.document)", "channel": "\(channel)", "error": "\(error)"])
        }
    }
}
