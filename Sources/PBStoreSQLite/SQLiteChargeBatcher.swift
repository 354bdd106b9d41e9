import Dispatch
import PBStore
import Synchronization

/// Group commit for charges: concurrent charges are queued and written by one writer, many to a transaction.
///
/// A transaction per charge spends most of its time on what every commit costs whatever it holds: taking and
/// releasing SQLite's file locks and appending the changed pages to the WAL (the same few pages again for every
/// charge on one key). Here the writer takes up to `maximumBatchCount` queued charges, runs each inside its own
/// savepoint of one `BEGIN IMMEDIATE` transaction, commits once, and only then answers every caller. So:
/// - each charge still sees every earlier charge's writes (same transaction, in queue order): no overspending;
/// - a charge that throws rolls back to its savepoint alone; the others in the batch are unaffected;
/// - nobody is answered before the commit that holds their charge: an answered charge is as durable as before;
/// - if the commit itself fails, every charge of the batch fails and none was written.
/// Callers wait on a continuation instead of blocking a thread on the connection's lock.
final class SQLiteChargeBatcher: Sendable {
    /// One charge's reads, decision and writes, run on the writer's thread inside the batch's transaction.
    typealias Body = @Sendable (SQLiteConnection) throws -> ChargeDecision

    /// Bounds the work one commit holds and the time the first caller of a batch waits for the last.
    static let maximumBatchCount = 64
    /// Beyond this many waiting charges new ones are refused at once (the store is far behind; shed load).
    static let maximumQueueCount = 8_192

    private struct Pending: Sendable {
        let body: Body
        let continuation: CheckedContinuation<ChargeDecision, any Error>
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var writerScheduled = false
    }

    private let database: SQLiteDatabase
    private let state = Mutex(State())
    private let writer = DispatchQueue(label: "pb.sqlite.charges")

    init(database: SQLiteDatabase) {
        self.database = database
    }

    func charge(_ body: @escaping Body) async throws -> ChargeDecision {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ChargeDecision, any Error>) in
            let outcome = state.withLock { (state) -> Result<Bool, StoreError> in
                guard state.queue.count < Self.maximumQueueCount else {
                    return .failure(StoreError("too many charges are waiting to be written; retry shortly"))
                }
                state.queue.append(Pending(body: body, continuation: continuation))
                if state.writerScheduled { return .success(false) }
                state.writerScheduled = true
                return .success(true)
            }
            switch outcome {
            case .failure(let error): continuation.resume(throwing: error)
            case .success(true): writer.async { self.drain() }
            case .success(false): break
            }
        }
    }

    /// Writes batches until the queue is empty, then lets the next caller schedule the writer again.
    private func drain() {
        while true {
            let batch = state.withLock { (state) -> [Pending] in
                let count = min(state.queue.count, Self.maximumBatchCount)
                guard count > 0 else {
                    state.writerScheduled = false
                    return []
                }
                let taken = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return taken
            }
            guard !batch.isEmpty else { return }
            let results = database.withConnection { (connection) in Self.write(batch, in: connection) }
            for (pending, result) in zip(batch, results) { pending.continuation.resume(with: result) }
        }
    }

    private static func write(_ batch: [Pending], in database: SQLiteConnection) -> [Result<ChargeDecision, any Error>] {
        do throws(StoreError) {
            return try database.transaction { () throws(StoreError) in
                var results: [Result<ChargeDecision, any Error>] = []
                results.reserveCapacity(batch.count)
                for pending in batch {
                    var decision: ChargeDecision?
                    let failure = try database.savepoint { decision = try pending.body(database) }
                    if let failure {
                        results.append(.failure(failure))
                    } else if let decision {
                        results.append(.success(decision))
                    }
                }
                return results
            }
        } catch {
            // Nothing of the batch was committed: every charge in it fails, none is half written.
            return Array(repeating: .failure(error), count: batch.count)
        }
    }
}
