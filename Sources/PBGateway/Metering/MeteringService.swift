import Logging
import PBCore
import ServiceLifecycle

/// Runs beside the HTTP server in the gateway's service group: every `pollInterval` it advances the time-metered
/// sessions that are due (`Meter.runDue`) and hands pending merchant events to `delivery`. Each session stores
/// when it is next due (its interval's end, or earlier at a low-balance crossing or the last second its balance
/// pays), so polling finds exactly the work due. Ends on cancellation or graceful shutdown, after the tick in hand.
public struct MeteringService: Service {
    public let meter: Meter
    public let delivery: (any MeteringEventDelivery)?
    public let pollInterval: Duration
    public let logger: Logger

    public init(
        meter: Meter, delivery: (any MeteringEventDelivery)?, pollInterval: Duration = .seconds(1), logger: Logger
    ) {
        self.meter = meter
        self.delivery = delivery
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await tick()
                do { try await Task.sleep(for: pollInterval) } catch { return }
            }
        }
    }

    /// One round: advance what is due, then deliver what is pending. Failures are logged, never thrown: the next
    /// round tries again.
    @discardableResult
    public func tick() async -> (advanced: Int, delivered: Int) {
        var advanced = 0, delivered = 0
        do {
            advanced = try await meter.runDue { sessionId, error in
                logger.error("metering a session failed", metadata: ["session": .string(sessionId), "error": "\(error)"])
            }
        } catch {
            logger.error("listing due sessions failed", metadata: ["error": "\(error)"])
        }
        if let delivery {
            do { delivered = try await delivery.deliverPending() } catch {
                logger.error("delivering metering events failed", metadata: ["error": "\(error)"])
            }
        }
        return (advanced, delivered)
    }
}
