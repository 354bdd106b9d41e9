import CSQLite
import PBStore

/// A value bound to or read from an SQLite statement.
enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// One synchronous SQLite connection with a prepared-statement cache. Not thread-safe by itself: the store keeps
/// it behind a `Mutex`, so each statement and each transaction runs alone.
///
/// Errors carry SQLite's message and the SQL text, never the bound values: those may be secret hashes or bodies.
final class SQLiteConnection {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private var inTransaction = false
    /// The charge path's grant and channel records (its rules of coherence are on the type).
    let chargeState = ChargeStateCache()

    /// Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory database.
    init(path: String) throws(StoreError) {
        var opened: OpaquePointer?
        // NOMUTEX: the store's Mutex already serialises every use of this connection.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard let opened else { throw StoreError("SQLite could not open the database (code \(code))") }
        guard code == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(opened))
            sqlite3_close_v2(opened)
            throw StoreError("SQLite could not open the database: \(message)")
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
        // A second process on the same file waits this long for the write lock instead of failing at once.
        sqlite3_busy_timeout(handle, 5_000)
        // WAL lets readers in other processes proceed during a write; NORMAL is durable at each checkpoint and
        // never corrupts, which is the usual pairing with WAL. In-memory databases answer "memory" and that is fine.
        _ = try query("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs SQL without parameters, possibly several statements (migrations, pragmas).
    func execute(_ sql: String) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard code == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? "code \(code)"
            sqlite3_free(errorMessage)
            throw StoreError("SQLite: \(message) in \(Self.summary(sql))")
        }
    }

    /// Runs one statement with `values` bound in order and returns every row it produced.
    @discardableResult
    func query(_ sql: String, _ values: [SQLiteValue] = []) throws(StoreError) -> [SQLiteRow] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in values.enumerated() {
            try check(bind(value, to: statement, at: Int32(offset + 1)), sql)
        }
        var rows: [SQLiteRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return rows }
            guard code == SQLITE_ROW else { try check(code, sql); return rows }
            rows.append(SQLiteRow(columns: (0..<sqlite3_column_count(statement)).map { read(statement, $0) }))
        }
    }

    /// For the store's connection, whose WAL `SQLiteCheckpointer` keeps: it never checkpoints by itself, and a WAL
    /// file that a burst made longer than four times `frames` pages is cut back to that when it starts over (not
    /// to `frames` itself: the WAL usually overshoots the limit by a round's writes, and a file cut at every start
    /// would make the kernel zero its blocks again as it regrows).
    func leaveCheckpointsToCheckpointer(walFrameLimit frames: Int32) throws(StoreError) {
        let pageSize = try query("PRAGMA page_size").first.map { (row) throws(StoreError) in try row.integer(0) } ?? 4_096
        try execute("PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=\(Int64(frames) * 4 * pageSize);")
    }

    /// A PASSIVE checkpoint: copies what it can without waiting for readers or writers. Returns the frames in the
    /// WAL and how many of them are now in the database file, or nil when another checkpoint was running.
    func checkpointPassive() -> (logged: Int32, copied: Int32)? {
        var logged: Int32 = 0, copied: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logged, &copied)
        return code == SQLITE_OK ? (logged, copied) : nil
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws. IMMEDIATE takes
    /// the write lock up front, so two writers never both read a state and then both act on it.
    ///
    /// `beforeCommit` (a charge batch's) runs last inside the transaction: it writes the rows the batch's charges
    /// deferred (`ChargeStateCache.defersRows`, set for the transaction when it is given).
    func transaction<Result>(
        beforeCommit: ((SQLiteConnection) throws(StoreError) -> Void)? = nil, _ body: () throws(StoreError) -> Result
    ) throws(StoreError) -> Result {
        precondition(!inTransaction, "transactions do not nest")
        try execute("BEGIN IMMEDIATE")
        inTransaction = true
        defer {
            inTransaction = false
            chargeState.defersRows = false
        }
        do {
            // Holding the write lock: no other connection can commit until this transaction ends.
            try chargeState.check(dataVersion: query("PRAGMA data_version").first?.integer(0) ?? 0)
            chargeState.defersRows = beforeCommit != nil
            let result = try body()
            try beforeCommit?(self)
            try execute("COMMIT")
            return result
        } catch {
            // A failed COMMIT may already have rolled back; the original error is the one worth reporting.
            try? execute("ROLLBACK")
            chargeState.discardDeferred()
            throw error
        }
    }

    /// Runs `body` inside a savepoint of the open transaction: kept when it returns, undone alone when it throws.
    /// Returns the error `body` threw (nil when it succeeded). Throws only when the savepoint itself cannot be
    /// managed, which leaves the whole transaction to be rolled back.
    func savepoint(_ body: () throws -> Void) throws(StoreError) -> (any Error)? {
        precondition(inTransaction, "savepoints live inside a transaction")
        try query("SAVEPOINT batch_item")
        chargeState.beginSavepoint()
        do {
            try body()
        } catch {
            chargeState.endSavepoint(kept: false)
            try query("ROLLBACK TO batch_item")
            try query("RELEASE batch_item")
            return error
        }
        chargeState.endSavepoint(kept: true)
        try query("RELEASE batch_item")
        return nil
    }

    private func prepared(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        try check(code, sql)
        guard let statement else { throw StoreError("SQLite prepared no statement for \(Self.summary(sql))") }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteValue, to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(statement, index)
        case .integer(let integer):
            return sqlite3_bind_int64(statement, index, integer)
        case .text(let text):
            return sqlite3_bind_text(statement, index, text, -1, csqlite_transient())
        case .blob(let bytes):
            // An empty array's base address may be nil, which SQLite would store as NULL; zeroblob keeps it a blob.
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return bytes.withUnsafeBytes {
                sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), csqlite_transient())
            }
        }
    }

    private func read(_ statement: OpaquePointer, _ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_TEXT:
            return .text(String(cString: sqlite3_column_text(statement, column)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let base = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: base, count: count)))
        case SQLITE_NULL:
            return .null
        default:
            // REAL never appears in this schema: money and times are integers or decimal text.
            return .text(String(cString: sqlite3_column_text(statement, column)))
        }
    }

    private func check(_ code: Int32, _ sql: String) throws(StoreError) {
        guard code != SQLITE_OK, code != SQLITE_DONE, code != SQLITE_ROW else { return }
        let message = String(cString: sqlite3_errmsg(handle))
        throw StoreError("SQLite error \(code): \(message) in \(Self.summary(sql))")
    }

    /// The start of a statement, enough to find it in the code.
    private static func summary(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count > 80 ? "'\(flat.prefix(80))…'" : "'\(flat)'"
    }
}

/// One result row; the typed accessors throw a `StoreError` naming the column when the stored value is not what
/// the schema promises (a damaged or hand-edited file), instead of trapping.
struct SQLiteRow {
    let columns: [SQLiteValue]

    func integer(_ index: Int) throws(StoreError) -> Int64 {
        guard case .integer(let value) = columns[index] else { throw mismatch(index, "an integer") }
        return value
    }

    func text(_ index: Int) throws(StoreError) -> String {
        guard case .text(let value) = columns[index] else { throw mismatch(index, "text") }
        return value
    }

    func blob(_ index: Int) throws(StoreError) -> [UInt8] {
        guard case .blob(let value) = columns[index] else { throw mismatch(index, "a blob") }
        return value
    }

    func isNull(_ index: Int) -> Bool { columns[index] == .null }

    func optionalText(_ index: Int) throws(StoreError) -> String? { isNull(index) ? nil : try text(index) }

    private func mismatch(_ index: Int, _ expected: String) -> StoreError {
        StoreError("stored column \(index) is not \(expected)")
    }
}
