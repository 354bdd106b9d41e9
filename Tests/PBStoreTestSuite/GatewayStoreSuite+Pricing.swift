import PBCore
import PBPricing
import PBProtocol
import PBStore
import Testing

/// Oracle rates and authorize-then-capture holds: what every adapter must store and how a capture must balance.
extension GatewayStoreSuite {
    static let holdAmount: UInt128 = 16_000

    static func terms() -> QuoteTerms {
        QuoteTerms(
            route: "POST /v1/chat", plan: PricePlanConfig(prices: [UnitPriceConfig(unit: "input_token", rate: "0.000002")]),
            usage: ["input_token": 8_000], dimensions: [:], overrides: [], quotedAtMilliseconds: 1_764_000_000_000,
            lifetimeSeconds: 60)
    }

    /// Charges one held payment of `holdAmount`, expiring 300 s after `StoreFixture.start`.
    func holdOne(_ store: any GatewayStore, grantId: Bytes32) async throws -> PaymentRecord {
        let request = fixture.request(grantId)
        let decision = try await store.charge(request) { context in
            guard let mutation = StoreFixture.mutation(context, request, price: Self.holdAmount, at: StoreFixture.start)
            else { return .refuse(PaymentRefusal(.pbLimitExceeded, "limit"), nil) }
            var payment = mutation.payment
            payment.status = .held
            let hold = PaymentHold(
                receiptId: request.receiptId, amount: Self.holdAmount, terms: Self.terms(),
                expiresAt: StoreFixture.start.adding(seconds: 300))
            return .charge(ChargeMutation(payment: payment, channel: mutation.channel, grantSpent: mutation.grantSpent, hold: hold))
        }
        guard case .charge(let mutation) = decision else { throw StoreError("the hold was not charged") }
        return mutation.payment
    }

    /// The capture an honest processor writes: the payment charged at `amount`, the rest released.
    static func capture(_ amount: UInt128, carrier: String = "{}", receiptOffset: UInt128 = 0)
        -> @Sendable (CaptureContext) -> CaptureDecision
    {
        { context in
            let released = context.hold.amount - amount
            let old = context.payment.receipt
            let receipt = PaymentReceipt(
                receiptId: old.receiptId, grantId: old.grantId, payee: old.payee, amount: amount,
                chargedCumulativeAmount: context.channel.chargedCumulativeAmount - released + receiptOffset,
                remainingLimit: context.grant.grant.totalLimit - (context.grant.spent - released), sequence: old.sequence,
                callIndex: old.callIndex, requestBinding: old.requestBinding, issuedAt: old.issuedAt + 1)
            var payment = context.payment
            payment = PaymentRecord(
                receipt: receipt, service: payment.service, method: payment.method, target: payment.target,
                status: .charged, createdAt: payment.createdAt, updatedAt: StoreFixture.start.adding(seconds: 1))
            return .capture(CaptureMutation(
                payment: payment,
                capture: HoldCapture(
                    amount: amount, usage: ["input_token": 3_502], breakdownJSON: "{}", overHold: false,
                    capturedAt: StoreFixture.start.adding(seconds: 1)),
                carrierJSON: carrier))
        }
    }

    public func ratesAreStoredReplacedAndDeleted() async throws {
        let store = try await makeStore()
        let first = RateRecord(
            serviceId: "chat", override: RateOverrideConfig(id: "surge", service: "chat", multiplier: "2"),
            createdAt: StoreFixture.start, updatedAt: StoreFixture.start)
        #expect(try await store.upsertRate(first))
        let replaced = RateRecord(
            serviceId: "chat", override: RateOverrideConfig(id: "surge", service: "chat", price: "0.02"),
            createdAt: StoreFixture.start.adding(seconds: 9), updatedAt: StoreFixture.start.adding(seconds: 9))
        #expect(try await store.upsertRate(replaced) == false)
        let other = RateRecord(
            serviceId: "gpu", override: RateOverrideConfig(id: "surge", service: "gpu", multiplier: "3"),
            createdAt: StoreFixture.start, updatedAt: StoreFixture.start)
        #expect(try await store.upsertRate(other))
        let chat = try await store.rates(serviceId: "chat")
        #expect(chat.map(\.override) == [replaced.override])
        #expect(chat.first?.createdAt == StoreFixture.start, "a replacing push keeps the first push's time")
        #expect(try await store.rates(serviceId: nil).count == 2)
        #expect(try await store.deleteRate(serviceId: "chat", id: "surge"))
        #expect(try await store.deleteRate(serviceId: "chat", id: "surge") == false)
        #expect(try await store.rates(serviceId: nil).map(\.serviceId) == ["gpu"])
    }

    public func holdCapturesReleaseExactlyAndOnce() async throws {
        let (store, signed) = try await storeWithGrant()
        let held = try await holdOne(store, grantId: signed.digest)
        #expect(try await store.payment(held.receiptId)?.status == .held)
        #expect(try await store.hold(held.receiptId)?.terms == Self.terms())
        #expect(try await store.grant(signed.digest)?.spent == Self.holdAmount)

        let at = StoreFixture.start.adding(seconds: 1)
        // A capture whose receipt does not match the release is refused and writes nothing.
        await #expect(throws: StoreError.self) {
            try await store.captureHold(held.receiptId, at: at, decide: Self.capture(7_004, receiptOffset: 1))
        }
        #expect(try await store.payment(held.receiptId)?.status == .held)
        guard case .captured(let payment, let hold) = try await store.captureHold(
            held.receiptId, at: at, decide: Self.capture(7_004))
        else { throw StoreError("not captured") }
        #expect(payment.amount == 7_004)
        #expect(hold.capture?.amount == 7_004)
        #expect(try await store.grant(signed.digest)?.spent == 7_004)
        #expect(try await store.channel(fixture.channelKey(signed.digest))?.chargedCumulativeAmount == 7_004)
        #expect(try await store.hold(held.receiptId)?.capture?.usage == ["input_token": 3_502])
        guard case .alreadyCaptured = try await store.captureHold(held.receiptId, at: at, decide: Self.capture(1)) else {
            throw StoreError("a second capture must find the first")
        }
        #expect(try await store.grant(signed.digest)?.spent == 7_004)
        #expect(try await store.voidPayment(held.receiptId, at: at)?.status == .voided, "a captured payment voids as a charge")
        #expect(try await store.grant(signed.digest)?.spent == 0)
    }

    public func expiredHoldsAreReleasedOnlyOnce() async throws {
        let (store, signed) = try await storeWithGrant()
        let first = try await holdOne(store, grantId: signed.digest)
        let second = try await holdOne(store, grantId: signed.digest)
        let beforeExpiry = StoreFixture.start.adding(seconds: 299)
        let expiry = StoreFixture.start.adding(seconds: 300)
        #expect(try await store.expiredHolds(at: beforeExpiry, limit: 10).isEmpty)
        #expect(try await store.releaseExpiredHold(first.receiptId, at: beforeExpiry) == nil)
        guard case .expired = try await store.captureHold(second.receiptId, at: expiry, decide: Self.capture(1)) else {
            throw StoreError("a capture at the expiry must find it expired")
        }
        #expect(Set(try await store.expiredHolds(at: expiry, limit: 10)) == [first.receiptId, second.receiptId])
        #expect(try await store.expiredHolds(at: expiry, limit: 1).count == 1)
        #expect(try await store.releaseExpiredHold(first.receiptId, at: expiry)?.status == .voided)
        #expect(try await store.releaseExpiredHold(first.receiptId, at: expiry) == nil)
        #expect(try await store.hold(first.receiptId)?.releasedAt == expiry)
        #expect(try await store.expiredHolds(at: expiry, limit: 10) == [second.receiptId])
        #expect(try await store.grant(signed.digest)?.spent == Self.holdAmount)
    }
}
