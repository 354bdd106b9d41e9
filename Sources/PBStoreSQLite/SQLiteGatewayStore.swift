import Foundation
import PBCore
import PBCrypto
import PBProtocol
import PBStore
import Synchronization

/// The embedded `GatewayStore`: one SQLite file in WAL mode behind one connection.
///
/// A lock guards the connection, so every operation, and every transaction, runs alone; a charge holds it from
/// reading its context to committing its mutation, which is what makes two concurrent charges unable to both spend
/// the last of a budget. Charges are group-committed by `SQLiteChargeBatcher`; other calls block briefly.
public final class SQLiteGatewayStore: GatewayStore, Sendable {
    /// Frames (pages) past which a checkpoint round restarts the WAL (`SQLiteCheckpointer`): 256 MiB of 4 KiB pages,
    /// about five seconds of the benchmark's paid calls, so the brief pause that costs is rare (docs/PERFORMANCE.md).
    public static let defaultWALFrameLimit: Int32 = 65_536

    /// The file name used under a data directory.
    public static let fileName = "pb-gateway.sqlite"

    let database: SQLiteDatabase
    let chargeBatcher: SQLiteChargeBatcher
    let meteringBatcher: SQLiteMeteringBatcher
    /// Moves WAL pages into a file-backed database in the background (nil in memory).
    private let checkpointer: SQLiteCheckpointer?
    /// Stamps migrations, and is "now" for what a grant-funded session's funding can pay (the grant's period, the
    /// window's expiry): give the store the gateway's clock.
    let clock: any WallClock

    /// Opens (creating if needed) the database at `path` and applies pending migrations. `clock` stamps them.
    /// `walFrameLimit` bounds the WAL of a file database (frames of one page each, at least 16; `SQLiteCheckpointer`).
    public convenience init(path: String, clock: any WallClock = SystemWallClock(), walFrameLimit: Int32 = defaultWALFrameLimit) throws {
        try self.init(
            path: path, clock: clock, walFrameLimit: walFrameLimit,
            checkpointIntervalMilliseconds: SQLiteCheckpointer.defaultIntervalMilliseconds)
    }

    /// The same with the background checkpointer's period (tests shorten it).
    init(path: String, clock: any WallClock, walFrameLimit: Int32, checkpointIntervalMilliseconds: Int) throws {
        guard walFrameLimit >= 16 else { throw StoreError("walFrameLimit \(walFrameLimit) is below 16 frames") }
        self.clock = clock
        let opened = try SQLiteConnection(path: path)
        try SQLiteSchema.migrate(opened, at: clock.now)
        let isFile = path != ":memory:"
        // Checkpoints move to the background checkpointer, off the connection every write waits for.
        if isFile { try opened.leaveCheckpointsToCheckpointer(walFrameLimit: walFrameLimit) }
        database = SQLiteDatabase(opened)
        checkpointer = isFile
            ? try SQLiteCheckpointer(
                path: path, database: database, walFrameLimit: walFrameLimit,
                intervalMilliseconds: checkpointIntervalMilliseconds)
            : nil
        chargeBatcher = SQLiteChargeBatcher(database: database)
        meteringBatcher = SQLiteMeteringBatcher(database: database, label: "pb.sqlite.metering")
    }

    /// Opens `<dataDirectory>/pb-gateway.sqlite`, creating the directory when it does not exist.
    public convenience init(dataDirectory: String, clock: any WallClock = SystemWallClock()) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try self.init(path: dataDirectory + "/" + Self.fileName, clock: clock)
    }

    /// A private database that lives as long as this store: for tests and throwaway demos.
    public static func inMemory(clock: any WallClock = SystemWallClock()) throws -> SQLiteGatewayStore {
        try SQLiteGatewayStore(path: ":memory:", clock: clock)
    }

    /// Runs `body` with the connection, alone.
    func withConnection<Result: Sendable>(
        _ body: (SQLiteConnection) throws(StoreError) -> Result
    ) throws(StoreError) -> Result {
        try database.withConnection(body)
    }

    // MARK: Grants

    static let grantColumns = "document, status, status_reason, spent, registered_at_ms, updated_at_ms, grant_id"

    public func registerGrant(_ signed: SignedSessionGrant, at time: UnixTime) async throws -> GrantRecord {
        try withConnection { (database) throws(StoreError) in
            // OR IGNORE: registering again keeps the stored record, with what has been spent under it.
            try database.query(
                """
                INSERT OR IGNORE INTO grants
                    (grant_id, document, status, status_reason, spent, total_limit, registered_at_ms, updated_at_ms)
                VALUES (?, ?, 'active', NULL, '0', ?, ?, ?)
                """,
                [
                    .bytes32(signed.digest), .text(signed.documentJSON.serialized()),
                    .amount(signed.message.totalLimit), .time(time), .time(time),
                ])
            database.chargeState.forgetGrant(signed.digest)
            guard let record = try Self.grant(signed.digest, in: database) else {
                throw StoreError("grant \(signed.digest.hex) vanished after registration")
            }
            return record
        }
    }

    public func grant(_ grantId: Bytes32) async throws -> GrantRecord? {
        try withConnection { (database) throws(StoreError) in try Self.grant(grantId, in: database) }
    }

    public func updateGrantStatus(_ grantId: Bytes32, to status: GrantStatus, reason: String?, at time: UnixTime)
        async throws -> GrantRecord?
    {
        try withConnection { (database) throws(StoreError) in
            // The condition in SQL as well as here: revoked is final even against a racing writer.
            try database.query(
                """
                UPDATE grants SET status = ?, status_reason = ?, updated_at_ms = ?
                WHERE grant_id = ? AND status <> 'revoked'
                """,
                [.text(status.rawValue), .optionalText(reason), .time(time), .bytes32(grantId)])
            database.chargeState.forgetGrant(grantId)
            return try Self.grant(grantId, in: database)
        }
    }

    public func grants(after cursor: String?, limit: Int) async throws -> Page<GrantRecord> {
        let limit = ListCursor.clamp(limit)
        let start = try cursor.map { (text) throws(StoreError) in try ListCursor(text) }
        return try withConnection { (database) throws(StoreError) in
            let rows: [SQLiteRow]
            if let start {
                rows = try database.query(
                    """
                    SELECT \(Self.grantColumns) FROM grants WHERE (registered_at_ms, grant_id) < (?, ?)
                    ORDER BY registered_at_ms DESC, grant_id DESC LIMIT ?
                    """,
                    [.integer(start.milliseconds), .bytes32(start.id), .integer(Int64(limit + 1))])
            } else {
                rows = try database.query(
                    "SELECT \(Self.grantColumns) FROM grants ORDER BY registered_at_ms DESC, grant_id DESC LIMIT ?",
                    [.integer(Int64(limit + 1))])
            }
            return try ListCursor.page(rows, limit: limit, record: { (row) throws(StoreError) in try Self.grantRecord(row) }) {
                ListCursor(milliseconds: $0.registeredAt.milliseconds, id: $0.grantId)
            }
        }
    }

    /// `grantColumns` without the document. A grant's document never changes (its id is the document's digest), so
    /// every charge takes it from the id-keyed cache instead of reading ~1 KB of text and hashing it to find the
    /// parsed copy.
    static let grantStateColumns = "status, status_reason, spent, registered_at_ms, updated_at_ms, grant_id"

    static func grant(_ grantId: Bytes32, in database: SQLiteConnection) throws(StoreError) -> GrantRecord? {
        if let signed = StoredDocumentCache.shared.grant(grantId) {
            return try database.query("SELECT \(grantStateColumns) FROM grants WHERE grant_id = ?", [.bytes32(grantId)])
                .first.map { (row) throws(StoreError) in try grantRecord(row, document: signed) }
        }
        guard
            let record = try database.query("SELECT \(grantColumns) FROM grants WHERE grant_id = ?", [.bytes32(grantId)])
                .first.map({ (row) throws(StoreError) in try grantRecord(row) })
        else { return nil }
        StoredDocumentCache.shared.insert(record.signed)
        return record
    }

    /// A row of `grantColumns`, or of `grantStateColumns` with the grant's `document` from the cache.
    private static func grantRecord(_ row: SQLiteRow, document: SignedSessionGrant? = nil) throws(StoreError) -> GrantRecord {
        let signed: SignedSessionGrant
        if let document {
            signed = document
        } else {
            guard case .grant(let stored) = try row.document(0) else { throw StoreError("stored grant is not a grant") }
            signed = stored
        }
        let column = document == nil ? 1 : 0  // the first column after the document
        // The id is the document's digest: a mismatch means the row was edited or damaged.
        guard signed.digest == (try row.bytes32(column + 5)) else { throw StoreError("stored grant does not match its id") }
        guard let status = GrantStatus(rawValue: try row.text(column)) else {
            throw StoreError("stored grant status unknown")
        }
        let spent = try row.amount(column + 2)
        guard spent <= signed.message.totalLimit else { throw StoreError("stored grant has spent above its limit") }
        return GrantRecord(
            signed: signed, status: status, statusReason: try row.optionalText(column + 1), spent: spent,
            registeredAt: try row.time(column + 3), updatedAt: try row.time(column + 4))
    }

    // MARK: Services

    public func upsertService(_ service: ServiceRecord) async throws {
        let document = String(decoding: try JSONEncoder().encode(service), as: UTF8.self)
        try withConnection { (database) throws(StoreError) in
            try database.query(
                """
                INSERT INTO services (service_id, document) VALUES (?, ?)
                ON CONFLICT (service_id) DO UPDATE SET document = excluded.document
                """,
                [.text(service.id), .text(document)])
        }
    }

    public func service(_ serviceId: String) async throws -> ServiceRecord? {
        let rows = try withConnection { (database) throws(StoreError) in
            try database.query("SELECT document FROM services WHERE service_id = ?", [.text(serviceId)])
                .map { (row) throws(StoreError) in try row.text(0) }
        }
        return try rows.first.map(Self.serviceRecord)
    }

    public func services() async throws -> [ServiceRecord] {
        let rows = try withConnection { (database) throws(StoreError) in
            try database.query("SELECT document FROM services ORDER BY service_id")
                .map { (row) throws(StoreError) in try row.text(0) }
        }
        return try rows.map(Self.serviceRecord)
    }

    public func deleteService(_ serviceId: String) async throws -> Bool {
        try withConnection { (database) throws(StoreError) in
            try database.query("DELETE FROM services WHERE service_id = ?", [.text(serviceId)])
            return database.changes > 0
        }
    }

    private static func serviceRecord(_ document: String) throws -> ServiceRecord {
        try JSONDecoder().decode(ServiceRecord.self, from: Data(document.utf8))
    }

    // MARK: API keys

    private static let apiKeyColumns = "key_id, name, role, secret_hash, secret_prefix, created_at_ms, revoked_at_ms"

    public func createAPIKey(_ key: APIKeyRecord) async throws {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                "INSERT INTO api_keys (\(Self.apiKeyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(key.id), .text(key.name), .text(key.role.rawValue), .bytes32(key.secretHash),
                    .text(key.secretPrefix), .time(key.createdAt), key.revokedAt.map { .time($0) } ?? .null,
                ])
        }
    }

    public func apiKey(secretHash: Bytes32) async throws -> APIKeyRecord? {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                "SELECT \(Self.apiKeyColumns) FROM api_keys WHERE secret_hash = ? AND revoked_at_ms IS NULL",
                [.bytes32(secretHash)]
            ).first.map { (row) throws(StoreError) in try Self.apiKeyRecord(row) }
        }
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try withConnection { (database) throws(StoreError) in
            try database.query("SELECT \(Self.apiKeyColumns) FROM api_keys ORDER BY created_at_ms, key_id")
                .map { (row) throws(StoreError) in try Self.apiKeyRecord(row) }
        }
    }

    private static func apiKeyRecord(_ row: SQLiteRow) throws(StoreError) -> APIKeyRecord {
        guard let role = APIKeyRole(rawValue: try row.text(2)) else { throw StoreError("stored API key role unknown") }
        return APIKeyRecord(
            id: try row.text(0), name: try row.text(1), role: role, secretHash: try row.bytes32(3),
            secretPrefix: try row.text(4), createdAt: try row.time(5), revokedAt: try row.optionalTime(6))
    }

    // MARK: Idempotent responses

    public func idempotentResponse(key: String) async throws -> IdempotentResponse? {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                "SELECT request_hash, status, body, created_at_ms FROM idempotent_responses WHERE idempotency_key = ?",
                [.text(key)]
            ).first.map { (row) throws(StoreError) in
                IdempotentResponse(
                    key: key, requestHash: try row.bytes32(0), status: Int(try row.integer(1)), body: try row.blob(2),
                    createdAt: try row.time(3))
            }
        }
    }

    public func saveIdempotentResponse(_ response: IdempotentResponse) async throws {
        try withConnection { (database) throws(StoreError) in
            // OR IGNORE: the first response saved under a key is the one every retry gets.
            try database.query(
                """
                INSERT OR IGNORE INTO idempotent_responses (idempotency_key, request_hash, status, body, created_at_ms)
                VALUES (?, ?, ?, ?, ?)
                """,
                [
                    .text(response.key), .bytes32(response.requestHash), .integer(Int64(response.status)),
                    .blob(response.body), .time(response.createdAt),
                ])
        }
    }
}
