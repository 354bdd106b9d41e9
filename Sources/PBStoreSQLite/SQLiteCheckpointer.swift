import CSQLite
import Dispatch
import PBStore

/// Copies the WAL's pages into the database file from a background queue, so that no write waits for a checkpoint,
/// and keeps the WAL from growing without end under writes that never pause.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages: that commit copies the
/// pages into the database file and syncs it while it holds the store's one connection, so every charge queued
/// behind it waits too. Instead, the store's connection never checkpoints (`wal_autocheckpoint=0`) and this object's
/// own connection runs a PASSIVE checkpoint every `intervalMilliseconds`: PASSIVE never blocks the store's reads or
/// writes, copies what it can, and a later round finishes the rest. Durability is unchanged: a committed write is in
/// the WAL either way, and the WAL is synced before the database file is written from it.
///
/// The bound: SQLite writes the WAL from its beginning again only when a write transaction begins while every frame
/// has been copied. Under steady writes a background round never gets there (the writer has always appended more by
/// the time it is done), and the WAL grew by ~40 MB/s under the gateway benchmark, each new block of the file zeroed
/// by the kernel first. So a round that finds the WAL past `walFrameLimit` frames, after its bulk copy, takes the
/// store's connection for a moment (no write can commit meanwhile) and copies the few frames appended during that
/// copy; with every frame copied, the store's next write starts the WAL over, and `journal_size_limit` cuts a file a
/// burst made longer back. The pause is the tail of one round's frames, never the bulk, and it never runs on the
/// writer's own thread: doing the whole catch-up there (an earlier version) made the benchmark's paid runs fall from
/// 80 % to 50 % of the unpaid ones over six pairs as the database grew (docs/PERFORMANCE.md).
///
/// `@unchecked Sendable`: every property is set once in `init`; the connection is used only by the timer's handler,
/// which runs on one serial queue.
final class SQLiteCheckpointer: @unchecked Sendable {
    static let defaultIntervalMilliseconds = 250

    private let timer: any DispatchSourceTimer

    /// Starts checkpointing the database at `path` (a file: an in-memory database has no WAL to move), whose store
    /// connection is `database`.
    init(path: String, database: SQLiteDatabase, walFrameLimit: Int32, intervalMilliseconds: Int) throws(StoreError) {
        let connection = try SQLiteConnection(path: path)
        let queue = DispatchQueue(label: "pb.sqlite.checkpoint", qos: .utility)
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(
            deadline: .now() + .milliseconds(intervalMilliseconds), repeating: .milliseconds(intervalMilliseconds),
            leeway: .milliseconds(max(1, intervalMilliseconds / 5)))
        timer.setEventHandler {
            // Busy or locked: the next round tries again; nothing is lost by a skipped checkpoint.
            guard let frames = connection.checkpointPassive(), frames.logged > walFrameLimit else { return }
            database.withConnection { (_: SQLiteConnection) in _ = connection.checkpointPassive() }
        }
        timer.resume()
    }

    deinit { timer.cancel() }
}
