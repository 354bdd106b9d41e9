import PBStore
import Synchronization

/// The store's one connection behind a lock, shared by the store's operations and the charge writer: every
/// statement and every transaction runs alone.
final class SQLiteDatabase: Sendable {
    private let connection: Mutex<SQLiteConnection>

    init(_ connection: sending SQLiteConnection) {
        self.connection = Mutex(connection)
    }

    func withConnection<Result: Sendable, Failure: Error>(
        _ body: (SQLiteConnection) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try connection.withLock { (database) throws(Failure) -> Result in try body(database) }
    }
}
