import Dispatch
import PBStore
import Synchronization

/// Group commit: concurrent writes (charges, metering updates) are queued and run by one writer, many to a
/// transaction.
///
/// A transaction per write spends most of its time on what every commit costs whatever it holds: taking and
/// releasing SQLite's file locks and appending the changed pages to the WAL (the same few pages again for every
/// write on one key). Here the writer takes up to `maximumBatchCount` queued writes, runs each inside its own
/// savepoint of one `BEGIN IMMEDIATE` transaction, commits once, and only then answers every caller. So:
/// - each write still sees every earlier write's changes (same transaction, in queue order): no overspending;
/// - a write that throws rolls back to its savepoint alone; the others in the batch are unaffected;
/// - nobody is answered before the commit that holds their write: an answered write is as durable as before;
/// - if the commit itself fails, every write of the batch fails and none was written.
/// Callers wait on a continuation instead of blocking a thread on the connection's lock.
///
/// One class serves every kind of write: the queue holds type-erased results and `write` casts each back.
final class SQLiteWriteBatcher: Sendable {
    /// One write's reads, decision and changes, run on the writer's thread inside the batch's transaction.
    typealias Body = @Sendable (SQLiteConnection) throws -> any Sendable

    /// Bounds the work one commit holds and the time the first caller of a batch waits for the last.
    static let maximumBatchCount = 64
    /// Beyond this many waiting writes new ones are refused at once (the store is far behind; shed load).
    static let maximumQueueCount = 8_192

    private struct Pending: Sendable {
        let body: Body
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var writerScheduled = false
    }

    private let database: SQLiteDatabase
    private let state = Mutex(State())
    private let writer: DispatchQueue
    /// Runs last in each batch's transaction (the charge batcher's writes the rows its charges deferred).
    private let beforeCommit: (@Sendable (SQLiteConnection) throws(StoreError) -> Void)?

    init(
        database: SQLiteDatabase, label: String,
        beforeCommit: (@Sendable (SQLiteConnection) throws(StoreError) -> Void)? = nil
    ) {
        self.database = database
        writer = DispatchQueue(label: label)
        self.beforeCommit = beforeCommit
    }

    /// Runs `body` in the next batch and answers after the commit that holds it.
    func write<Output: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Output) async throws -> Output {
        let output = try await enqueue { (connection) in try body(connection) }
        guard let typed = output as? Output else { throw StoreError("the writer answered with another type") }
        return typed
    }

    private func enqueue(_ body: @escaping Body) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            let outcome = state.withLock { (state) -> Result<Bool, StoreError> in
                guard state.queue.count < Self.maximumQueueCount else {
                    return .failure(StoreError("too many writes are waiting; retry shortly"))
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
            let results = database.withConnection { (connection) in
                Self.runBatch(batch, in: connection, beforeCommit: beforeCommit)
            }
            for (pending, result) in zip(batch, results) { pending.continuation.resume(with: result) }
        }
    }

    private static func runBatch(
        _ batch: [Pending], in database: SQLiteConnection,
        beforeCommit: (@Sendable (SQLiteConnection) throws(StoreError) -> Void)?
    ) -> [Result<any Sendable, any Error>] {
        do throws(StoreError) {
            return try database.transaction(beforeCommit: beforeCommit) { () throws(StoreError) in
                var results: [Result<any Sendable, any Error>] = []
                results.reserveCapacity(batch.count)
                for pending in batch {
                    var output: (any Sendable)?
                    let failure = try database.savepoint { output = try pending.body(database) }
                    if let failure {
                        results.append(.failure(failure))
                    } else if let output {
                        results.append(.success(output))
                    }
                }
                return results
            }
        } catch {
            // Nothing of the batch was committed: every write in it fails, none is half written.
            return Array(repeating: .failure(error), count: batch.count)
        }
    }
}
