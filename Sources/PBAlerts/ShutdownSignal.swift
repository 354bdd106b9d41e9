import Synchronization

/// Tells the dispatcher's deliveries that the gateway is shutting down: a backoff sleep ends early, so that a last
/// attempt is made at once instead of after minutes, and `isPastDrainDeadline` stops attempts altogether once the
/// drain time is spent.
final class ShutdownSignal: Sendable {
    private struct State {
        var triggeredAt: ContinuousClock.Instant?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
        var nextId = 0
    }

    private let state = Mutex(State())
    let drainTime: Duration

    init(drainTime: Duration) { self.drainTime = drainTime }

    var isTriggered: Bool { state.withLock { $0.triggeredAt != nil } }

    var isPastDrainDeadline: Bool {
        state.withLock { state in state.triggeredAt.map { ContinuousClock.now - $0 >= drainTime } ?? false }
    }

    func trigger() {
        let waiters = state.withLock { state in
            if state.triggeredAt == nil { state.triggeredAt = ContinuousClock.now }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Sleeps for `duration`, or less when shutdown begins (or has begun) meanwhile.
    func sleep(for duration: Duration) async {
        guard !isTriggered else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.waitForTrigger() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForTrigger() async {
        let id = state.withLock { state in
            defer { state.nextId += 1 }
            return state.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.triggeredAt != nil || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            // Cancelled before registering: remember it, so that registering resumes at once.
            let waiter = state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) { return Optional(waiter) }
                if state.triggeredAt == nil { state.cancelled.insert(id) }
                return nil
            }
            waiter?.resume()
        }
    }
}
