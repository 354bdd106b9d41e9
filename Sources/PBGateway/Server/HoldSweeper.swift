import Logging
import PBGuard
import PBStore
import ServiceLifecycle

/// Releases expired holds in the background: a `Service` in the server's ServiceGroup that wakes every
/// `intervalSeconds` and voids at most `batchLimit` expired holds per round (a bounded sweep: a backlog is worked
/// off over several rounds). Captures check expiry themselves too, so a hold is never captured late even between
/// sweeps (docs/PRICING.md, "Holds and expiry").
public struct HoldSweeper: Service {
    public static let intervalSeconds: Int64 = 15
    public static let batchLimit = 256

    public let processor: PaymentProcessor
    public let metrics: GatewayMetrics
    public let logger: Logger

    public init(processor: PaymentProcessor, metrics: GatewayMetrics, logger: Logger) {
        self.processor = processor
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(Self.intervalSeconds)) }
            } catch {
                return
            }
            await sweepOnce()
        }
    }

    /// One round: releases up to `batchLimit` expired holds; returns them. A store failure is logged, not thrown,
    /// so the next round tries again.
    @discardableResult
    public func sweepOnce() async -> [PaymentRecord] {
        do {
            let released = try await processor.releaseExpiredHolds(limit: Self.batchLimit)
            for payment in released {
                metrics.recordRelease(amountBaseUnits: payment.amount)
                logger.info("expired hold released", metadata: ["payment.receipt": .string(payment.receiptId.hex)])
            }
            return released
        } catch {
            logger.error("hold sweep failed", metadata: ["error": "\(error)"])
            return []
        }
    }
}
