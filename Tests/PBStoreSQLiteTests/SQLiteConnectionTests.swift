import Foundation
import PBCore
import PBProtocol
import PBStore
import PBStoreTestSuite
import Testing

@testable import PBStoreSQLite

/// What only the SQLite adapter has: its pragmas, migrations, transactions and the schema's own guards.
@Suite struct SQLiteConnectionTests {
    @Test func fileDatabaseUsesWALAndRecordsItsMigrations() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/store.sqlite"
        _ = try SQLiteGatewayStore(path: path)
        _ = try SQLiteGatewayStore(path: path)
        let connection = try SQLiteConnection(path: path)
        #expect(try connection.query("PRAGMA journal_mode")[0].text(0) == "wal")
        #expect(try connection.query("PRAGMA foreign_keys")[0].integer(0) == 1)
        let versions = try connection.query("SELECT version FROM schema_migrations ORDER BY version")
        let applied = try versions.map { (row) throws(StoreError) in try row.integer(0) }
        #expect(applied == Array(1...Int64(SQLiteSchema.migrations.count)))
    }

    @Test func newerSchemaIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/store.sqlite"
        _ = try SQLiteGatewayStore(path: path)
        try SQLiteConnection(path: path).query(
            "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, 0)",
            [.integer(Int64(SQLiteSchema.migrations.count + 1))])
        #expect(throws: StoreError.self) { _ = try SQLiteGatewayStore(path: path) }
    }

    @Test func transactionRollsBackWhenItsBodyThrows() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE notes (text TEXT NOT NULL) STRICT")
        #expect(throws: StoreError.self) {
            try connection.transaction { () throws(StoreError) in
                try connection.query("INSERT INTO notes (text) VALUES (?)", [.text("written")])
                throw StoreError("abandoned")
            }
        }
        #expect(try connection.query("SELECT count(*) FROM notes")[0].integer(0) == 0)
    }

    /// Bound values may be secrets (hashes, bodies): errors name SQLite's complaint and the statement, never them.
    @Test func errorsDoNotRevealBoundValues() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE secrets (value TEXT PRIMARY KEY) STRICT")
        try connection.query("INSERT INTO secrets (value) VALUES (?)", [.text("pbk_live_topsecret")])
        do {
            try connection.query("INSERT INTO secrets (value) VALUES (?)", [.text("pbk_live_topsecret")])
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.description.contains("UNIQUE"))
            #expect(!error.description.contains("topsecret"))
        }
    }

    /// The schema refuses, by itself, a spent amount above the limit and non-canonical amounts.
    @Test func schemaGuardsAmounts() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try SQLiteSchema.migrate(connection, at: UnixTime(milliseconds: 0))
        let insert = """
            INSERT INTO grants (grant_id, document, status, spent, total_limit, registered_at_ms, updated_at_ms)
            VALUES (?, '{}', 'active', ?, ?, 0, 0)
            """
        let refused = [("100", "99"), ("0100", "200"), ("1.5", "2"), ("", "2"), ("-1", "2")]
        for (spent, limit) in refused {
            #expect(throws: StoreError.self, "spent \(spent), limit \(limit)") {
                try connection.query(insert, [.blob(Bytes32.random().bytes), .text(spent), .text(limit)])
            }
        }
        let maximum = String(UInt128.max)
        for (spent, limit) in [("99", "100"), ("100", "100"), ("0", "1"), (maximum, maximum)] {
            try connection.query(insert, [.blob(Bytes32.random().bytes), .text(spent), .text(limit)])
        }
    }

    @Test func usedCallsBitmapRoundTrips() throws {
        let words: [UInt64] = (0..<16).map { UInt64($0) << 60 | 0x0123_4567_89ab_cdef }
        #expect(UsedCallsBitmap.encode(words).count == 128)
        #expect(try UsedCallsBitmap.decode(UsedCallsBitmap.encode(words)) == words)
        #expect(throws: StoreError.self) { try UsedCallsBitmap.decode([0]) }
        // Byte order is part of the stored format: word 0's lowest byte comes first.
        #expect(Array(UsedCallsBitmap.encode(words).prefix(8)) == [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01])
    }

    /// The window's replay map against a plain set of used indexes: out-of-order calls, jumps of less than a word,
    /// of whole words and beyond the window, and calls that fall out of the window.
    @Test func aWindowsReplayMapAgreesWithTheSetOfUsedCalls() {
        var window = CreditWindow(windowId: .zero, sequence: 1, ceiling: 1, validUntil: 1, sessionPublicKey: [])
        var used: Set<UInt64> = []
        var generator = SystemRandomNumberGenerator()
        var highest: UInt64 = 0
        for step in 0..<5_000 {
            let jump: UInt64 = [1, 1, 1, 2, 3, 63, 64, 65, 130, 1_023, 1_024, 2_000][step % 12]
            let candidate = step % 5 == 0 ? UInt64.random(in: 1...max(highest, 1) + 1, using: &generator) : highest + jump
            let fresh = candidate > 0 && !used.contains(candidate) && (candidate > highest || highest - candidate < 1_024)
            #expect(window.isFresh(candidate) == fresh, "step \(step): call \(candidate), highest \(highest)")
            guard fresh else { continue }
            window.markUsed(candidate)
            used.insert(candidate)
            highest = max(highest, candidate)
            #expect(window.highestCallIndex == highest)
        }
    }

    /// A write that charges and then fails is rolled back to its savepoint, and the store's copy of the grant and
    /// channel (`ChargeStateCache`) must roll back with it: the next charge decides on the amounts before the failed one.
    @Test func aChargeRolledBackWithItsWriteIsForgotten() async throws {
        let (store, fixture, signed) = try await Self.storeWithOneCharge()

        let abandoned = fixture.request(signed.digest)
        let decide = StoreFixture.chargeIfAffordable(abandoned, price: 1_000, at: StoreFixture.start)
        await #expect(throws: StoreError.self) {
            try await store.chargeBatcher.write { (database) in
                guard case .charge = try SQLiteGatewayStore.charge(abandoned, decide: decide, in: database) else {
                    throw StoreError("not charged")
                }
                throw StoreError("the rest of this write failed after its charge")
            }
        }
        let seen = LatestContext()
        try await seen.charge(1_000, on: signed.digest, fixture: fixture, store: store)
        #expect(seen.last?.grant?.spent == 1_000)
        #expect(seen.last?.channel.chargedCumulativeAmount == 1_000)
        #expect(try await store.payment(abandoned.receiptId) == nil)
        #expect(try await store.grant(signed.digest)?.spent == 2_000)

        // The same for a whole transaction that rolls back after a charge.
        #expect(throws: StoreError.self) {
            try store.withConnection { (database) throws(StoreError) in
                try database.transaction { () throws(StoreError) in
                    _ = try SQLiteGatewayStore.charge(abandoned, decide: decide, in: database)
                    throw StoreError("the transaction failed after its charge")
                }
            }
        }
        try await seen.charge(1_000, on: signed.digest, fixture: fixture, store: store)
        #expect(seen.last?.grant?.spent == 2_000)
        #expect(seen.last?.channel.chargedCumulativeAmount == 2_000)
    }

    /// In a charge batch the grant and channel rows are written once, before the commit. A charge whose savepoint
    /// rolls back after it was decided must leave no trace in them: the rows hold exactly the kept charges.
    @Test func aChargeBatchWritesItsRowsOnceWithoutTheRolledBackCharge() async throws {
        let (store, fixture, signed) = try await Self.storeWithOneCharge()
        let requests = (0..<3).map { _ in fixture.request(signed.digest) }
        let decisions = requests.map { StoreFixture.chargeIfAffordable($0, price: 1_000, at: StoreFixture.start) }
        var failures: [(any Error)?] = []
        try store.withConnection { (database) throws(StoreError) in
            try database.transaction(beforeCommit: { (connection) throws(StoreError) in
                #expect(connection.chargeState.deferredGrants[signed.digest]?.spent == 3_000, "two kept charges")
                try SQLiteGatewayStore.writeDeferredChargeRows(in: connection)
            }) { () throws(StoreError) in
                for (index, request) in requests.enumerated() {
                    failures.append(try database.savepoint {
                        _ = try SQLiteGatewayStore.charge(request, decide: decisions[index], in: database)
                        if index == 1 { throw StoreError("the rest of this write failed after its charge") }
                    })
                }
            }
        }
        #expect(failures.map { $0 == nil } == [true, false, true])
        #expect(try await store.payment(requests[1].receiptId) == nil)
        #expect(try await store.grant(signed.digest)?.spent == 3_000)
        #expect(try await store.channel(fixture.channelKey(signed.digest))?.chargedCumulativeAmount == 3_000)
        let seen = LatestContext()
        try await seen.charge(1_000, on: signed.digest, fixture: fixture, store: store)
        #expect(seen.last?.grant?.spent == 3_000)
        #expect(try await store.grant(signed.digest)?.spent == 4_000)
    }

    /// Under charges that never pause, the WAL still starts over: SQLite restarts it only when a write begins with
    /// every frame copied, which a checkpointer on another connection never achieves while writes keep coming (the
    /// store grew its WAL by ~40 MB/s under the gateway benchmark, and this run to ~58 MB). A checkpoint round that
    /// finds the WAL past its bound copies the tail while holding the store's connection, so the WAL restarts.
    @Test func theWALStaysNearItsBoundWhileChargesNeverPause() async throws {
        let directory = try TemporaryDirectory()
        let limit: Int32 = 64
        let store = try SQLiteGatewayStore(
            path: directory.path + "/bounded.sqlite", clock: SystemWallClock(), walFrameLimit: limit,
            checkpointIntervalMilliseconds: 10)
        let wal = directory.path + "/bounded.sqlite-wal"
        let fixture = StoreFixture()
        let signed = fixture.signedGrant(totalLimit: 1_000_000)
        _ = try await store.registerGrant(signed, at: StoreFixture.start)
        let largest = LargestValue()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                group.addTask {
                    for call in 0..<250 {
                        let request = fixture.request(signed.digest)
                        let time = StoreFixture.start.adding(milliseconds: Int64(writer * 1_000 + call))
                        let decision = try await store.charge(
                            request, decide: StoreFixture.chargeIfAffordable(request, price: 1, at: time))
                        guard case .charge = decision else { throw StoreError("charge \(call) was refused") }
                        let attributes = try? FileManager.default.attributesOfItem(atPath: wal)
                        largest.observe((attributes?[.size] as? Int) ?? 0)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.grant(signed.digest)?.spent == 4_000)
        // The bound plus what is written between two rounds: a round every 10 ms leaves the WAL well under 4 MB
        // (1,000 frames of a 4 KiB page and a 24-byte header), where an unbounded one reaches tens of MB.
        let observed = largest.value
        #expect(observed > 0 && observed <= 1_000 * (4_096 + 24), "the WAL reached \(observed) bytes")
    }

    /// An in-memory store with one grant and one charge of 1,000 base units on its channel.
    static func storeWithOneCharge() async throws -> (SQLiteGatewayStore, StoreFixture, SignedSessionGrant) {
        let store = try SQLiteGatewayStore.inMemory()
        let fixture = StoreFixture()
        let signed = fixture.signedGrant()
        _ = try await store.registerGrant(signed, at: StoreFixture.start)
        try await fixture.chargeCalls(1, price: 1_000, on: signed.digest, store: store)
        return (store, fixture, signed)
    }
}
