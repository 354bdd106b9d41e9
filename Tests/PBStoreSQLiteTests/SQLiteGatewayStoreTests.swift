import Foundation
import PBCore
import PBStore
import PBStoreSQLite
import PBStoreTestSuite
import Synchronization
import Testing

/// The shared GatewayStore suite against SQLite: an in-memory database per check, a file for the restart check.
@Suite struct SQLiteGatewayStoreTests {
    let suite = GatewayStoreSuite { try SQLiteGatewayStore.inMemory() }

    @Test func registeringIsIdempotentAndExact() async throws { try await suite.registeringIsIdempotentAndExact() }
    @Test func revokedIsFinal() async throws { try await suite.revokedIsFinal() }
    @Test func chargeAppliesExactlyTheMutation() async throws { try await suite.chargeAppliesExactlyTheMutation() }
    @Test func refusalWritesNothing() async throws { try await suite.refusalWritesNothing() }
    @Test func retrySeesExistingPayment() async throws { try await suite.retrySeesExistingPayment() }
    @Test func unbalancedMutationsAreRejected() async throws { try await suite.unbalancedMutationsAreRejected() }
    @Test func voidReversesOnce() async throws { try await suite.voidReversesOnce() }
    @Test func voidedReceiptCanBeChargedAgain() async throws { try await suite.voidedReceiptCanBeChargedAgain() }
    @Test func rateWindowAndPeriodCountTheirBoundaries() async throws {
        try await suite.rateWindowAndPeriodCountTheirBoundaries()
    }
    @Test func creditWindowSurvivesRoundTrip() async throws { try await suite.creditWindowSurvivesRoundTrip() }
    @Test func paginationReturnsEveryItemOnceNewestFirst() async throws {
        try await suite.paginationReturnsEveryItemOnceNewestFirst()
    }
    @Test func servicesCanBeCreatedReadUpdatedAndDeleted() async throws {
        try await suite.servicesCanBeCreatedReadUpdatedAndDeleted()
    }
    @Test func apiKeysAreFoundByHashUnlessRevoked() async throws {
        try await suite.apiKeysAreFoundByHashUnlessRevoked()
    }
    @Test func firstIdempotentResponseWins() async throws { try await suite.firstIdempotentResponseWins() }
    @Test func concurrentChargesNeverOverspend() async throws { try await suite.concurrentChargesNeverOverspend() }
    @Test func aFailingChargeDoesNotTakeOtherChargesWithIt() async throws {
        try await suite.aFailingChargeDoesNotTakeOtherChargesWithIt()
    }

    @Test func everyChargeSeesTheWritesBeforeIt() async throws { try await suite.everyChargeSeesTheWritesBeforeIt() }
    @Test func windowCallsAreChargedOnceAndAVoidedOneOnceMore() async throws {
        try await suite.windowCallsAreChargedOnceAndAVoidedOneOnceMore()
    }

    /// The store keeps its own copy of the grants and channels it charges; a second process on the same file (here a
    /// second store) that voids a payment and freezes the grant must still be seen by the first store's next charge.
    @Test func aCommitByAnotherConnectionIsSeenByTheNextCharge() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/shared.sqlite"
        let first = try SQLiteGatewayStore(path: path), second = try SQLiteGatewayStore(path: path)
        let fixture = StoreFixture()
        let signed = fixture.signedGrant()
        _ = try await first.registerGrant(signed, at: StoreFixture.start)
        let payments = try await fixture.chargeCalls(2, price: 1_000, on: signed.digest, store: first)

        _ = try await second.voidPayment(payments[0].receiptId, at: StoreFixture.start.adding(seconds: 1))
        _ = try await second.updateGrantStatus(signed.digest, to: .frozen, reason: "by the other process", at: StoreFixture.start)
        let seen = LatestContext()
        let decision = try await seen.charge(1_000, on: signed.digest, fixture: fixture, store: first)
        #expect(seen.last?.grant?.spent == 1_000)
        #expect(seen.last?.grant?.status == .frozen)
        #expect(seen.last?.channel.chargedCumulativeAmount == 1_000)
        guard case .charge = decision else { throw StoreError("not charged: \(decision)") }
        #expect(try await second.grant(signed.digest)?.spent == 2_000)
        #expect(try await second.channel(fixture.channelKey(signed.digest))?.chargedCumulativeAmount == 2_000)
    }

    @Test func ratesAreStoredReplacedAndDeleted() async throws { try await suite.ratesAreStoredReplacedAndDeleted() }
    @Test func holdCapturesReleaseExactlyAndOnce() async throws { try await suite.holdCapturesReleaseExactlyAndOnce() }
    @Test func expiredHoldsAreReleasedOnlyOnce() async throws { try await suite.expiredHoldsAreReleasedOnlyOnce() }
    @Test func sentinelEventsAreListedNewestFirstAndFiltered() async throws {
        try await suite.sentinelEventsAreListedNewestFirstAndFiltered()
    }
    @Test func sentinelSnapshotAndPolicyAreStoredAndReplaced() async throws {
        try await suite.sentinelSnapshotAndPolicyAreStoredAndReplaced()
    }

    @Test func dataSurvivesRestart() async throws {
        let directory = try TemporaryDirectory()
        try await GatewayStoreSuite.dataSurvivesRestart {
            try SQLiteGatewayStore(dataDirectory: directory.path + "/data")
        }
    }
}

/// A file store's writes reach the database file while the store is open: the background checkpointer moves them
/// out of the WAL (the store's own connection no longer checkpoints, so without it the file would stay as it was
/// until the store closed).
@Suite struct SQLiteCheckpointTests {
    @Test func writesReachTheDatabaseFileWhileTheStoreRuns() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteGatewayStore(dataDirectory: directory.path)
        let file = directory.path + "/" + SQLiteGatewayStore.fileName
        let sizeBefore = try Self.size(of: file)
        let fixture = StoreFixture()
        var last = fixture.signedGrant()
        for index in 0..<200 {
            // A different limit per grant: 200 distinct grants, not one registered 200 times.
            last = fixture.signedGrant(totalLimit: 1_000_000 + UInt128(index))
            _ = try await store.registerGrant(last, at: StoreFixture.start)
        }
        #expect(try Self.size(of: file + "-wal") > 0, "the grants were committed to the WAL")
        let deadline = ContinuousClock.now + .seconds(10)
        while try Self.size(of: file) <= sizeBefore, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try Self.size(of: file) > sizeBefore, "no checkpoint moved the WAL into the database file")
        #expect(try await store.grant(last.digest)?.grant.totalLimit == 1_000_199)
    }

    private static func size(of path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}

/// The context a charge's `decide` saw last.
final class LatestContext: Sendable {
    private let latest = Mutex<ChargeContext?>(nil)

    func record(_ context: ChargeContext) { latest.withLock { $0 = context } }
    var last: ChargeContext? { latest.withLock { $0 } }

    /// Charges a new receipt of `price` on the grant's channel (`chargeIfAffordable`), recording the context it was
    /// decided on. The price is a UInt64: a UInt128 argument of an async function crashes on this toolchain.
    @discardableResult
    func charge(
        _ price: UInt64, on grantId: Bytes32, fixture: StoreFixture, store: SQLiteGatewayStore,
        at time: UnixTime = StoreFixture.start
    ) async throws -> ChargeDecision {
        let request = fixture.request(grantId)
        let decide = StoreFixture.chargeIfAffordable(request, price: UInt128(price), at: time)
        return try await store.charge(request) { context in
            self.record(context)
            return decide(context)
        }
    }
}

/// The largest value seen by concurrent tasks.
final class LargestValue: Sendable {
    private let largest = Mutex(0)

    func observe(_ value: Int) { largest.withLock { $0 = max($0, value) } }
    var value: Int { largest.withLock { $0 } }
}

/// A directory removed when the test is done with it.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "pb-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The EVM rail's transaction store (its nonce allocator) on SQLite.
@Suite struct SQLiteEVMTransactionStoreTests {
    let suite = EVMTransactionStoreSuite { try SQLiteGatewayStore.inMemory() }

    @Test func aNonceHoldsOnePurposeAndAPurposeOneNonce() async throws {
        try await suite.aNonceHoldsOnePurposeAndAPurposeOneNonce()
    }
}
