import PBCore
import PBCrypto
import PBProtocol
import PBStore
import Synchronization
import Testing

/// Lists, merchant configuration, restarts and concurrent charges.
extension GatewayStoreSuite {
    /// Seven payments on two grants, some created in the same millisecond: every page walk returns each exactly
    /// once, newest first (ties broken by id), whatever the page size.
    public func paginationReturnsEveryItemOnceNewestFirst() async throws {
        let store = try await makeStore()
        let first = fixture.signedGrant(), second = fixture.signedGrant()
        _ = try await store.registerGrant(first, at: StoreFixture.start)
        _ = try await store.registerGrant(second, at: StoreFixture.start.adding(milliseconds: 1))
        var payments: [PaymentRecord] = []
        for (offset, grant) in [(0, first), (0, second), (5, first), (5, first), (5, second), (9, first), (2, second)] {
            payments += try await fixture.chargeCalls(
                1, price: price, on: grant.digest, from: StoreFixture.start.adding(milliseconds: Int64(offset)),
                store: store)
        }
        let newestFirst: (PaymentRecord, PaymentRecord) -> Bool = {
            ($0.createdAt, $0.receiptId) > ($1.createdAt, $1.receiptId)
        }

        for pageSize in [1, 3, 7, 500] {
            let all = try await walk(pageSize) { cursor in
                try await store.payments(grantId: nil, after: cursor, limit: pageSize)
            }
            #expect(all.map(\.receiptId) == payments.sorted(by: newestFirst).map(\.receiptId), "page size \(pageSize)")
            let ofFirst = try await walk(pageSize) { cursor in
                try await store.payments(grantId: first.digest, after: cursor, limit: pageSize)
            }
            #expect(
                ofFirst.map(\.receiptId)
                    == payments.filter { $0.grantId == first.digest }.sorted(by: newestFirst).map(\.receiptId))
        }
        #expect(
            try await store.payments(grantId: nil, after: nil, limit: 0).items.count == 1, "limits clamp to 1...500")
        #expect(try await store.payments(grantId: nil, after: nil, limit: 10_000).items.count == payments.count)

        let grants = try await walk(1) { cursor in try await store.grants(after: cursor, limit: 1) }
        #expect(grants.map(\.grantId) == [second.digest, first.digest])
        await #expect(throws: (any Error).self, "a malformed cursor") {
            _ = try await store.grants(after: "not a cursor", limit: 10)
        }
    }

    /// Follows `nextCursor` to the end; stops (and fails) after more pages than items could need.
    private func walk<Item: Sendable>(
        _ pageSize: Int, page: (String?) async throws -> Page<Item>
    ) async throws -> [Item] {
        var items: [Item] = [], cursor: String?
        for _ in 0..<100 {
            let next = try await page(cursor)
            #expect(next.items.count <= pageSize)
            items += next.items
            guard let nextCursor = next.nextCursor else { return items }
            cursor = nextCursor
        }
        Issue.record("pagination did not end")
        return items
    }

    public func servicesCanBeCreatedReadUpdatedAndDeleted() async throws {
        let store = try await makeStore()
        var chat = ServiceRecord(
            id: "chat", name: "Chat", payee: fixture.payee, asset: StoreFixture.asset, network: "eip155:8453",
            upstreamURL: "http://127.0.0.1:9000", pathPrefix: "/chat",
            routes: [
                RouteRecord(method: "POST", path: "/v1/**", priceBaseUnits: UInt128.max),
                RouteRecord(method: "GET", path: "/health", priceBaseUnits: nil),
            ])
        let search = ServiceRecord(
            id: "search", name: "Search", payee: fixture.payee, asset: StoreFixture.asset, network: "eip155:8453",
            upstreamURL: nil, pathPrefix: "/search", routes: [])
        try await store.upsertService(search)
        try await store.upsertService(chat)
        #expect(try await store.service("chat") == chat)
        #expect(try await store.services() == [chat, search])

        chat.name = "Chat v2"
        chat.routes.removeLast()
        try await store.upsertService(chat)
        #expect(try await store.service("chat") == chat)
        #expect(try await store.services().count == 2)

        #expect(try await store.deleteService("chat"))
        #expect(try await !store.deleteService("chat"))
        #expect(try await store.service("chat") == nil)
        #expect(try await store.services() == [search])
    }

    public func apiKeysAreFoundByHashUnlessRevoked() async throws {
        let store = try await makeStore()
        let live = APIKeyRecord(
            id: "key_live", name: "ops", role: .admin, secretHash: .random(), secretPrefix: "pbk_live_1a",
            createdAt: StoreFixture.start)
        let revoked = APIKeyRecord(
            id: "key_old", name: "old", role: .merchant, secretHash: .random(), secretPrefix: "pbk_live_2b",
            createdAt: StoreFixture.start.adding(seconds: 1), revokedAt: StoreFixture.start.adding(seconds: 2))
        try await store.createAPIKey(live)
        try await store.createAPIKey(revoked)
        #expect(try await store.apiKey(secretHash: live.secretHash) == live)
        #expect(try await store.apiKey(secretHash: revoked.secretHash) == nil)
        #expect(try await store.apiKey(secretHash: .random()) == nil)
        #expect(Set(try await store.apiKeys()) == [live, revoked])
        await #expect(throws: (any Error).self, "a second key with the same secret hash") {
            try await store.createAPIKey(
                APIKeyRecord(
                    id: "key_copy", name: "copy", role: .admin, secretHash: live.secretHash, secretPrefix: "x",
                    createdAt: StoreFixture.start))
        }
    }

    public func firstIdempotentResponseWins() async throws {
        let store = try await makeStore()
        let first = IdempotentResponse(
            key: "create-service-1", requestHash: .random(), status: 201, body: Array("{\"id\":\"chat\"}".utf8),
            createdAt: StoreFixture.start)
        let second = IdempotentResponse(
            key: first.key, requestHash: .random(), status: 409, body: [],
            createdAt: StoreFixture.start.adding(seconds: 1))
        #expect(try await store.idempotentResponse(key: first.key) == nil)
        try await store.saveIdempotentResponse(first)
        try await store.saveIdempotentResponse(second)
        #expect(try await store.idempotentResponse(key: first.key) == first)
        let empty = IdempotentResponse(
            key: "empty", requestHash: .random(), status: 204, body: [], createdAt: StoreFixture.start)
        try await store.saveIdempotentResponse(empty)
        #expect(try await store.idempotentResponse(key: "empty") == empty)
    }

    /// `openStore` opens the same database each time (a file, a server): what was written is there after reopening.
    public static func dataSurvivesRestart(openStore: @Sendable () async throws -> any GatewayStore) async throws {
        let fixture = StoreFixture()
        let signed = fixture.signedGrant()
        let key = APIKeyRecord(
            id: "key_1", name: "ops", role: .admin, secretHash: .random(), secretPrefix: "pbk",
            createdAt: StoreFixture.start)
        var written: [PaymentRecord] = []
        do {
            let store = try await openStore()
            _ = try await store.registerGrant(signed, at: StoreFixture.start)
            written = try await fixture.chargeCalls(3, price: 7, on: signed.digest, store: store)
            _ = try await store.voidPayment(written[1].receiptId, at: StoreFixture.start.adding(seconds: 1))
            _ = try await store.updateGrantStatus(signed.digest, to: .frozen, reason: "review", at: StoreFixture.start)
            try await store.createAPIKey(key)
        }
        let reopened = try await openStore()
        let grant = try #require(try await reopened.grant(signed.digest))
        #expect(grant.signed == signed)
        #expect(grant.status == .frozen)
        #expect(grant.spent == 14)
        #expect(try await reopened.channel(fixture.channelKey(signed.digest))?.chargedCumulativeAmount == 14)
        #expect(try await reopened.payment(written[1].receiptId)?.status == .voided)
        #expect(try await reopened.payments(grantId: signed.digest, after: nil, limit: 10).items.count == 3)
        #expect(try await reopened.apiKey(secretHash: key.secretHash) == key)
    }

    /// Fifty tasks race to charge one grant whose limit covers twenty calls: exactly twenty win.
    public func concurrentChargesNeverOverspend() async throws {
        let (store, signed) = try await storeWithGrant(totalLimit: 20 * price + price / 2)
        let fixture = self.fixture, priceUnits = UInt64(price)  // not UInt128: see the test below
        let charged = ChargeCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for call in 0..<50 {
                group.addTask {
                    let request = fixture.request(signed.digest)
                    let decision = try await store.charge(
                        request,
                        decide: StoreFixture.chargeIfAffordable(
                            request, price: UInt128(priceUnits), at: StoreFixture.start.adding(milliseconds: Int64(call))))
                    if case .charge = decision { charged.increment() }
                }
            }
            try await group.waitForAll()
        }
        #expect(charged.value == 20)
        #expect(try await store.grant(signed.digest)?.spent == 20 * price)
        #expect(try await store.channel(fixture.channelKey(signed.digest))?.chargedCumulativeAmount == 20 * price)
        #expect(try await store.payments(grantId: signed.digest, after: nil, limit: 500).items.count == 20)
    }
}

extension GatewayStoreSuite {
    /// Concurrent charges of which every third asks for a mutation that does not balance: those fail alone, with
    /// nothing written, and every other charge lands, although an adapter may commit them in the same batch.
    public func aFailingChargeDoesNotTakeOtherChargesWithIt() async throws {
        let (store, signed) = try await storeWithGrant(totalLimit: 1_000 * price)
        // Captured as UInt64: a UInt128 captured by these child-task closures crashed the test process (Swift 6.3,
        // a jump to address 0 in the concurrency runtime); see docs/PERFORMANCE.md's notes.
        let fixture = self.fixture, priceUnits = UInt64(price)
        let charged = ChargeCounter(), failed = ChargeCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for call in 0..<60 {
                group.addTask {
                    let request = fixture.request(signed.digest)
                    let time = StoreFixture.start.adding(milliseconds: Int64(call))
                    let price = UInt128(priceUnits)
                    let decide = call % 3 == 0
                        ? StoreFixture.chargeClaimingOneUnitTooMuch(request, price: price, at: time)
                        : StoreFixture.chargeIfAffordable(request, price: price, at: time)
                    do {
                        if case .charge = try await store.charge(request, decide: decide) { charged.increment() }
                    } catch {
                        failed.increment()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(charged.value == 40)
        #expect(failed.value == 20)
        #expect(try await store.grant(signed.digest)?.spent == 40 * price)
        #expect(try await store.channel(fixture.channelKey(signed.digest))?.chargedCumulativeAmount == 40 * price)
        #expect(try await store.payments(grantId: signed.digest, after: nil, limit: 500).items.count == 40)
    }
}

/// Counts charges applied by concurrent tasks.
final class ChargeCounter: Sendable {
    private let count = Mutex(0)

    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
