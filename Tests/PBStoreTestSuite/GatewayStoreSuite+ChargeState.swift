import PBCore
import PBCrypto
import PBProtocol
import PBStore
import Testing

/// A charge decides on the grant and channel as every earlier write left them, whichever path wrote: an adapter may
/// keep its own copy of that state (SQLite does), and these checks fail if any writer leaves the copy behind.
extension GatewayStoreSuite {
    public func everyChargeSeesTheWritesBeforeIt() async throws {
        let (store, signed) = try await storeWithGrant()
        let payments = try await fixture.chargeCalls(2, price: price, on: signed.digest, store: store)
        let seen = ContextRecorder()

        // A void: both amounts drop by the price.
        _ = try await store.voidPayment(payments[0].receiptId, at: StoreFixture.start.adding(seconds: 1))
        try await chargeOnce(store, grantId: signed.digest, recorder: seen, second: 2)
        #expect(seen.last?.grant?.spent == price)
        #expect(seen.last?.channel.chargedCumulativeAmount == price)

        // A freeze, then an unfreeze: the status the charge sees is the stored one each time.
        _ = try await store.updateGrantStatus(signed.digest, to: .frozen, reason: "test", at: StoreFixture.start.adding(seconds: 3))
        try await chargeOnce(store, grantId: signed.digest, recorder: seen, second: 4)
        #expect(seen.last?.grant?.status == .frozen)
        _ = try await store.updateGrantStatus(signed.digest, to: .active, reason: nil, at: StoreFixture.start.adding(seconds: 5))
        try await chargeOnce(store, grantId: signed.digest, recorder: seen, second: 6)
        #expect(seen.last?.grant?.status == .active)
        #expect(seen.last?.grant?.spent == 2 * price, "second 2 was charged, second 4 refused as frozen")

        // A hold captured for less than it held: the release is seen by the next charge.
        let held = try await holdOne(store, grantId: signed.digest)
        guard case .captured = try await store.captureHold(
            held.receiptId, at: StoreFixture.start.adding(seconds: 7), decide: Self.capture(7_004))
        else { throw StoreError("not captured") }
        try await chargeOnce(store, grantId: signed.digest, recorder: seen, second: 8)
        #expect(seen.last?.grant?.spent == 3 * price + 7_004)
        #expect(seen.last?.channel.chargedCumulativeAmount == 3 * price + 7_004)
        #expect(try await store.grant(signed.digest)?.spent == 4 * price + 7_004)
    }

    /// A call inside a credit window: charged once, a replay finds its payment, a voided call is charged
    /// again once (its receipt is found although the window has marked the call used), and a store that skips
    /// looking a receipt up for calls the window has never seen still finds every duplicate.
    public func windowCallsAreChargedOnceAndAVoidedOneOnceMore() async throws {
        let (store, signed) = try await storeWithGrant()
        let windowId = Bytes32.random()
        let opening = fixture.request(signed.digest)
        let window = CreditWindow(
            windowId: windowId, sequence: 1, ceiling: 100 * price, validUntil: 1_766_000_000,
            sessionPublicKey: [UInt8](repeating: 2, count: 33))
        _ = try await store.charge(opening, decide: Self.chargeCall(opening, price: price, openingWindow: window))

        let call = windowCallRequest(signed.digest, windowId: windowId, callIndex: 1)
        guard case .charge = try await store.charge(call, decide: Self.chargeCall(call, price: price)) else {
            throw StoreError("the first call was not charged")
        }
        guard case .duplicate = try await store.charge(call, decide: Self.chargeCall(call, price: price)) else {
            throw StoreError("a replayed call was not found charged")
        }
        _ = try await store.voidPayment(call.receiptId, at: StoreFixture.start.adding(seconds: 1))
        guard case .charge = try await store.charge(call, decide: Self.chargeCall(call, price: price)) else {
            throw StoreError("the voided call was not charged again")
        }
        guard case .duplicate = try await store.charge(call, decide: Self.chargeCall(call, price: price)) else {
            throw StoreError("the voided call was charged a third time")
        }
        #expect(try await store.grant(signed.digest)?.spent == 2 * price)
        #expect(try await store.channel(call.channel)?.chargedCumulativeAmount == 2 * price)
        #expect(try await store.payment(call.receiptId)?.status == .charged)
    }

    private func chargeOnce(_ store: any GatewayStore, grantId: Bytes32, recorder: ContextRecorder, second: Int64) async throws {
        let request = fixture.request(grantId)
        let decide = StoreFixture.chargeIfAffordable(request, price: price, at: StoreFixture.start.adding(seconds: second))
        _ = try await store.charge(request) { context in
            recorder.record(context)
            // A frozen grant is refused here as the processor would; the others charge.
            guard context.grant?.status == .active else { return .refuse(PaymentRefusal(.pbKeyFrozen, "frozen"), nil) }
            return decide(context)
        }
    }

    func windowCallRequest(_ grantId: Bytes32, windowId: Bytes32, callIndex: UInt64) -> ChargeRequest {
        ChargeRequest(
            channel: fixture.channelKey(grantId), receiptId: PaymentReceipt.receiptId(voucherId: windowId, callIndex: callIndex),
            rateWindowStart: nil, periodStart: nil,
            windowCall: WindowCallReference(windowId: windowId, callIndex: callIndex))
    }

    /// What `ChargeDecider` does with a window call, reduced: a charged receipt is a duplicate, a voided one is
    /// charged again without touching the window, a new index must be fresh and is marked used.
    static func chargeCall(_ request: ChargeRequest, price: UInt128, openingWindow: CreditWindow? = nil)
        -> @Sendable (ChargeContext) -> ChargeDecision
    {
        { context in
            if let existing = context.existingPayment, existing.status == .charged { return .duplicate(existing) }
            var window = openingWindow ?? context.channel.window
            if let call = request.windowCall, context.existingPayment == nil {
                guard var open = window, open.isFresh(call.callIndex) else {
                    return .refuse(PaymentRefusal(.pbSequenceReplayed, "call used"), context.channel.state)
                }
                open.markUsed(call.callIndex)
                window = open
            }
            guard let mutation = StoreFixture.mutation(context, request, price: price, at: StoreFixture.start, window: window)
            else { return .refuse(PaymentRefusal(.pbGrantUnknown, "unknown grant"), nil) }
            return .charge(mutation)
        }
    }
}
