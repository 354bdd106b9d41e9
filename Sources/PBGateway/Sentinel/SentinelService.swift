import Logging
import PBCore
import PBGuard
import PBSentinel
import PBStore
import ServiceLifecycle
import Synchronization

/// Sentinel's background half, a `Service` beside the HTTP server: takes the events the payment path queues (a
/// bounded buffer, so a storm can never grow memory), hands each to the alert sink and stores them; saves the
/// engine's snapshot every `snapshotIntervalSeconds`, and on graceful shutdown stores what is queued and saves a
/// last snapshot, so a restart forgets neither.
public final class SentinelService: Service, SentinelEventQueue {
    /// Batches queued beyond this are dropped (and counted): alerting must never hold up payments.
    public static let queueCapacity = 1_024

    public let engine: RiskEngine
    public let store: any GatewayStore
    public let sink: any SentinelAlertSink
    public let snapshotIntervalSeconds: Int
    private let clock: any WallClock
    private let logger: Logger
    private let stream: AsyncStream<[SentinelEvent]>
    private let continuation: AsyncStream<[SentinelEvent]>.Continuation
    private let dropped = Atomic<Int>(0)

    public init(
        engine: RiskEngine, store: any GatewayStore, sink: any SentinelAlertSink, snapshotIntervalSeconds: Int,
        clock: any WallClock, logger: Logger = Logger(label: "pb.sentinel")
    ) {
        self.engine = engine
        self.store = store
        self.sink = sink
        self.snapshotIntervalSeconds = snapshotIntervalSeconds
        self.clock = clock
        self.logger = logger
        (stream, continuation) = AsyncStream<[SentinelEvent]>.makeStream(bufferingPolicy: .bufferingOldest(Self.queueCapacity))
    }

    /// Non-blocking: called from inside the charge's transaction.
    public func enqueue(_ events: [SentinelEvent]) {
        if case .dropped = continuation.yield(events) { dropped.wrappingAdd(1, ordering: .relaxed) }
    }

    /// Event batches dropped because the queue was full.
    public var droppedBatches: Int { dropped.load(ordering: .relaxed) }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: .seconds(snapshotIntervalSeconds)) } catch { return }
                        await saveSnapshot()
                    }
                }
                for await events in stream { await handle(events) }
                group.cancelAll()
            }
        } onGracefulShutdown: { [continuation] in
            continuation.finish()
        }
        await saveSnapshot()
    }

    /// Ends `run` as a graceful shutdown would: what is queued is stored, then a last snapshot is saved.
    public func stop() { continuation.finish() }

    /// Restores the snapshot saved by an earlier run; call before serving.
    public func restoreSnapshot() async throws {
        if let snapshot = try await store.riskSnapshot() { engine.restore(snapshot) }
    }

    public func saveSnapshot() async {
        do {
            try await store.saveRiskSnapshot(engine.snapshot(), at: clock.now)
        } catch {
            logger.error("saving Sentinel's snapshot failed", metadata: ["error": "\(error)"])
        }
    }

    private func handle(_ events: [SentinelEvent]) async {
        for event in events { sink.deliver(event) }
        do {
            try await store.appendSentinelEvents(events)
        } catch {
            logger.error("storing Sentinel events failed", metadata: ["error": "\(error)", "events": "\(events.count)"])
        }
    }
}
