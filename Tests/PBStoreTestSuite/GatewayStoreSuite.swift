import PBCore
import PBCrypto
import PBProtocol
import PBStore
import Synchronization
import Testing

/// The behaviour every `GatewayStore` adapter must have, as plain functions: swift-testing cannot share `@Test`s
/// across modules, so each adapter's test target has one `@Test` per check that calls it with fresh stores.
public struct GatewayStoreSuite: Sendable {
    let makeStore: @Sendable () async throws -> any GatewayStore
    let fixture = StoreFixture()
    let price: UInt128 = 40_000

    /// `makeStore` returns a new, empty store on every call.
    public init(makeStore: @escaping @Sendable () async throws -> any GatewayStore) {
        self.makeStore = makeStore
    }

    /// A fresh store with one grant registered at `StoreFixture.start`.
    func storeWithGrant(totalLimit: UInt128 = 50_000_000) async throws -> (any GatewayStore, SignedSessionGrant) {
        let store = try await makeStore()
        let signed = fixture.signedGrant(totalLimit: totalLimit)
        _ = try await store.registerGrant(signed, at: StoreFixture.start)
        return (store, signed)
    }

    // MARK: Grants

    public func registeringIsIdempotentAndExact() async throws {
        let store = try await makeStore()
        let signed = fixture.signedGrant()
        let registered = try await store.registerGrant(signed, at: StoreFixture.start)
        #expect(registered == GrantRecord(signed: signed, registeredAt: StoreFixture.start))

        let loaded = try #require(try await store.grant(signed.digest))
        #expect(loaded.signed == signed)
        #expect(loaded.signed.signatureBytes == signed.signatureBytes)
        #expect(loaded.signed.digest == signed.digest)
        #expect(loaded.signed.documentJSON.serialized() == signed.documentJSON.serialized())

        try await fixture.chargeCalls(1, price: price, on: signed.digest, store: store)
        let again = try await store.registerGrant(signed, at: StoreFixture.start.adding(seconds: 60))
        #expect(again.registeredAt == StoreFixture.start, "registering again keeps the stored record")
        #expect(again.spent == price, "registering again keeps what was spent")
        #expect(try await store.grant(Bytes32.random()) == nil)
    }

    public func revokedIsFinal() async throws {
        let (store, signed) = try await storeWithGrant()
        let later = StoreFixture.start.adding(seconds: 10)

        let frozen = try #require(
            try await store.updateGrantStatus(signed.digest, to: .frozen, reason: "owner", at: later))
        #expect(frozen.status == .frozen)
        #expect(frozen.statusReason == "owner")
        #expect(frozen.updatedAt == later)
        let active = try await store.updateGrantStatus(signed.digest, to: .active, reason: nil, at: later)
        #expect(active?.status == .active)
        #expect(active?.statusReason == nil)

        let revoked = try #require(
            try await store.updateGrantStatus(signed.digest, to: .revoked, reason: "leak", at: later))
        #expect(revoked.status == .revoked)
        for status in GrantStatus.allCases {
            let after = try await store.updateGrantStatus(
                signed.digest, to: status, reason: "again", at: later.adding(seconds: 1))
            #expect(after == revoked, "a revoked grant stays revoked, unchanged")
        }
        #expect(try await store.updateGrantStatus(Bytes32.random(), to: .frozen, reason: nil, at: later) == nil)
    }

    // MARK: Charging

    public func chargeAppliesExactlyTheMutation() async throws {
        let (store, signed) = try await storeWithGrant()
        let request = fixture.request(signed.digest)
        let decision = try await store.charge(
            request, decide: StoreFixture.chargeIfAffordable(request, price: price, at: StoreFixture.start))
        guard case .charge(let mutation) = decision else {
            Issue.record("expected a charge, got \(decision)")
            return
        }
        #expect(try await store.payment(request.receiptId) == mutation.payment)
        #expect(try await store.channel(request.channel) == mutation.channel)
        #expect(try await store.grant(signed.digest)?.spent == mutation.grantSpent)
        #expect(mutation.grantSpent == price)
    }

    public func refusalWritesNothing() async throws {
        let (store, signed) = try await storeWithGrant()
        let request = fixture.request(signed.digest)
        let refusal = PaymentRefusal(.pbRateLimited, "slow down")
        let decision = try await store.charge(request) { context in .refuse(refusal, context.channel.state) }
        #expect(decision == .refuse(refusal, ChannelRecord(key: request.channel).state))
        #expect(try await store.payment(request.receiptId) == nil)
        #expect(try await store.channel(request.channel) == nil)
        #expect(try await store.grant(signed.digest)?.spent == 0)
    }

    public func retrySeesExistingPayment() async throws {
        let (store, signed) = try await storeWithGrant()
        let request = fixture.request(signed.digest)
        let decide = StoreFixture.chargeIfAffordable(request, price: price, at: StoreFixture.start)
        guard case .charge(let first) = try await store.charge(request, decide: decide) else {
            Issue.record("first charge refused")
            return
        }
        let seen = ContextRecorder()
        let second = try await store.charge(request) { context in
            seen.record(context)
            return decide(context)
        }
        #expect(seen.last?.existingPayment == first.payment)
        #expect(seen.last?.channel == first.channel)
        #expect(second == .duplicate(first.payment))
        #expect(try await store.grant(signed.digest)?.spent == price, "a retry is charged once")
    }

    /// The store's own guard behind `decide`: a mutation that does not balance or exceeds the limit is an error,
    /// and nothing of it is written.
    public func unbalancedMutationsAreRejected() async throws {
        let (store, signed) = try await storeWithGrant(totalLimit: 100_000)
        try await fixture.chargeCalls(2, price: price, on: signed.digest, store: store)
        let before = try await store.channel(fixture.channelKey(signed.digest))

        let request = fixture.request(signed.digest)
        let edits: [(String, @Sendable (ChargeContext) -> ChargeMutation?)] = [
            ("above the limit", { StoreFixture.mutation($0, request, price: 40_000, at: StoreFixture.start) }),
            ("spent not moved by the amount", { context in
                StoreFixture.mutation(context, request, price: 1, at: StoreFixture.start).map {
                    ChargeMutation(payment: $0.payment, channel: $0.channel, grantSpent: $0.grantSpent + 1)
                }
            }),
            ("channel not moved by the amount", { context in
                StoreFixture.mutation(context, request, price: 1, at: StoreFixture.start).map {
                    var channel = $0.channel
                    channel.chargedCumulativeAmount = 0
                    return ChargeMutation(payment: $0.payment, channel: channel, grantSpent: $0.grantSpent)
                }
            }),
            ("another receipt id", { context in
                StoreFixture.mutation(context, fixture.request(signed.digest), price: 1, at: StoreFixture.start)
            }),
        ]
        for (name, edit) in edits {
            await #expect(throws: StoreError.self, "\(name)") {
                _ = try await store.charge(request) { context in .charge(edit(context)!) }
            }
            #expect(try await store.payment(request.receiptId) == nil, "\(name): no payment written")
            #expect(try await store.grant(signed.digest)?.spent == 2 * price, "\(name): spent unchanged")
            #expect(try await store.channel(fixture.channelKey(signed.digest)) == before, "\(name): channel unchanged")
        }

        let unknown = fixture.request(Bytes32.random())
        await #expect(throws: StoreError.self, "a charge on an unknown grant") {
            _ = try await store.charge(unknown) { context in
                let grant = GrantRecord(signed: signed, registeredAt: StoreFixture.start)
                let forged = ChargeContext(
                    grant: grant, channel: context.channel, existingPayment: nil, callsInRateWindow: 0,
                    spentInPeriod: 0)
                return StoreFixture.mutation(forged, unknown, price: 1, at: StoreFixture.start).map { .charge($0) }!
            }
        }
    }

    public func voidReversesOnce() async throws {
        let (store, signed) = try await storeWithGrant()
        let payments = try await fixture.chargeCalls(2, price: price, on: signed.digest, store: store)
        let later = StoreFixture.start.adding(seconds: 5)

        let voided = try #require(try await store.voidPayment(payments[0].receiptId, at: later))
        #expect(voided.status == .voided)
        #expect(voided.updatedAt == later)
        #expect(try await store.payment(payments[0].receiptId) == voided)
        #expect(try await store.grant(signed.digest)?.spent == price)
        #expect(try await store.channel(fixture.channelKey(signed.digest))?.chargedCumulativeAmount == price)

        #expect(try await store.voidPayment(payments[0].receiptId, at: later) == nil, "a second void does nothing")
        #expect(try await store.voidPayment(Bytes32.random(), at: later) == nil)
        #expect(try await store.grant(signed.digest)?.spent == price)
    }

    public func voidedReceiptCanBeChargedAgain() async throws {
        let (store, signed) = try await storeWithGrant()
        let request = fixture.request(signed.digest)
        let decide = StoreFixture.chargeIfAffordable(request, price: price, at: StoreFixture.start)
        _ = try await store.charge(request, decide: decide)
        _ = try await store.voidPayment(request.receiptId, at: StoreFixture.start.adding(seconds: 1))

        let seen = ContextRecorder()
        let retry = StoreFixture.chargeIfAffordable(request, price: price, at: StoreFixture.start.adding(seconds: 2))
        let decision = try await store.charge(request) { context in
            seen.record(context)
            return retry(context)
        }
        #expect(seen.last?.existingPayment?.status == .voided)
        guard case .charge(let mutation) = decision else {
            Issue.record("the retry of a voided payment was not charged: \(decision)")
            return
        }
        #expect(try await store.payment(request.receiptId) == mutation.payment)
        #expect(try await store.payment(request.receiptId)?.status == .charged)
        #expect(try await store.grant(signed.digest)?.spent == price)
        #expect(try await store.channel(request.channel)?.chargedCumulativeAmount == price)
    }

    /// Calls at start, start + 1 s and start + 2 s (the middle one voided later): the windows include their start.
    public func rateWindowAndPeriodCountTheirBoundaries() async throws {
        let (store, signed) = try await storeWithGrant()
        var receipts: [Bytes32] = []
        for (offset, amount) in [(0, UInt128(1_000)), (1_000, 20_000), (2_000, 300_000)] {
            let request = fixture.request(signed.digest)
            _ = try await store.charge(
                request,
                decide: StoreFixture.chargeIfAffordable(
                    request, price: amount, at: StoreFixture.start.adding(milliseconds: Int64(offset))))
            receipts.append(request.receiptId)
        }

        func context(rateWindowFrom rate: Int64, periodFrom period: Int64?) async throws -> ChargeContext? {
            let recorder = ContextRecorder()
            let request = fixture.request(
                signed.digest, rateWindowStart: StoreFixture.start.adding(milliseconds: rate),
                periodStart: period.map { StoreFixture.start.adding(milliseconds: $0) })
            _ = try await store.charge(request) { context in
                recorder.record(context)
                return .refuse(PaymentRefusal(.pbRateLimited, "probe"), nil)
            }
            return recorder.last
        }

        #expect(try await context(rateWindowFrom: 0, periodFrom: nil)?.callsInRateWindow == 3)
        #expect(try await context(rateWindowFrom: 0, periodFrom: nil)?.spentInPeriod == 0)
        #expect(try await context(rateWindowFrom: 1_000, periodFrom: 1_000)?.callsInRateWindow == 2)
        #expect(try await context(rateWindowFrom: 1_000, periodFrom: 1_000)?.spentInPeriod == 320_000)
        #expect(try await context(rateWindowFrom: 1_001, periodFrom: 1_001)?.callsInRateWindow == 1)
        #expect(try await context(rateWindowFrom: 1_001, periodFrom: 1_001)?.spentInPeriod == 300_000)
        #expect(try await context(rateWindowFrom: 2_001, periodFrom: 2_001)?.callsInRateWindow == 0)
        #expect(try await context(rateWindowFrom: 2_001, periodFrom: 2_001)?.spentInPeriod == 0)

        _ = try await store.voidPayment(receipts[1], at: StoreFixture.start.adding(seconds: 3))
        #expect(
            try await context(rateWindowFrom: 0, periodFrom: 0)?.callsInRateWindow == 2, "voided calls do not count")
        #expect(try await context(rateWindowFrom: 0, periodFrom: 0)?.spentInPeriod == 301_000)
    }

    public func creditWindowSurvivesRoundTrip() async throws {
        let (store, signed) = try await storeWithGrant()
        var window = CreditWindow(
            windowId: .random(), sequence: 7, ceiling: UInt128.max - 1, validUntil: UInt64.max,
            sessionPublicKey: fixture.sessionKey.publicKey.compressedBytes)
        for index: UInt64 in [1, 2, 64, 65, 700, 1_500, 1_499, 2_000, 2_523] { window.markUsed(index) }
        #expect(window.usedCalls.contains { $0 != 0 })
        let voucher = fixture.signedVoucher(signed.digest, cumulativeAmount: 1_000_000, sequence: UInt64.max)
        let request = fixture.request(signed.digest), written = window
        _ = try await store.charge(request) { context in
            .charge(
                StoreFixture.mutation(
                    context, request, price: 1, at: StoreFixture.start, window: written, voucher: voucher)!)
        }
        let loaded = try #require(try await store.channel(request.channel))
        #expect(loaded.window == window)
        #expect(loaded.window?.usedCalls == window.usedCalls)
        #expect(loaded.latestVoucher == voucher)
        #expect(loaded.latestVoucher?.documentJSON.serialized() == voucher.documentJSON.serialized())
    }
}

/// Captures the context a `decide` closure saw, from inside the store's transaction.
final class ContextRecorder: Sendable {
    private let latest = Mutex<ChargeContext?>(nil)

    func record(_ context: ChargeContext) { latest.withLock { $0 = context } }
    var last: ChargeContext? { latest.withLock { $0 } }
}
