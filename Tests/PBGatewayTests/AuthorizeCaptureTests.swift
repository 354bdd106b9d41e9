import Foundation
import PBClient
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBStore
import Testing

/// Authorize-then-capture through the live gateway: a per-token chat route (0.000002 in, 0.000008 out, holding
/// 4,000 + 1,000 tokens = 16,000 base units) whose upstream reports usage in `PB-Usage`.
@Suite struct AuthorizeCaptureTests {
    static let path = "/v1/usage/chat"
    static let hold: UInt128 = 4_000 * 2 + 1_000 * 8  // 16,000 base units = 0.016 USDC
    static let limit: UInt128 = 50_000_000

    @Test func perTokenChatCapturesTheReportedUsage() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let offer = try await caller.offer(Self.path)
            #expect(offer.amount == "16000")
            let extra = try SessionRequirementsExtra(extra: offer.extra)
            #expect(extra.unit == "input_token,output_token")
            #expect(extra.unitPrice == "0.000002,0.000008")
            #expect(extra.priceRule["capture"]?.stringValue == "hold")
            #expect(extra.priceRule["usage"]?["input_token"]?.stringValue == "4000")
            // The priceRule of docs/PRICING.md, "Quotes and the oracle": two lines of 0.008, 0.016 in all.
            #expect(extra.priceRule["route"]?.stringValue == "POST /v1/usage/chat")
            #expect(extra.priceRule["lines"]?.arrayValues?.map { $0["amount"]?.stringValue } == ["0.008", "0.008"])
            #expect(extra.priceRule["lines"]?.arrayValues?.map { $0["rate"]?.stringValue } == ["0.000002", "0.000008"])
            #expect(extra.priceRule["exactTotal"]?.stringValue == "0.016")
            #expect(extra.priceRule["amount"]?.stringValue == "16000")
            #expect(extra.priceRule["overrides"] == .array([]))

            let paid = try await caller.pay(
                offer, path: Self.path, headers: [("X-Test-Usage", "input_tokens=1234;output_tokens=567")])
            #expect(paid.status == 200, "\(paid.body)")
            // 1,234 x 2 + 567 x 8 = 2,468 + 4,536 = 7,004 base units (0.007004 USDC); the rest of the hold is released.
            let captured: UInt128 = 7_004
            #expect(paid.headers.first(name: "PB-Usage") == nil, "the usage report is for the gateway only")
            let receipt = try #require(paid.receipt)
            #expect(receipt.amount == captured)
            #expect(receipt.chargedCumulativeAmount == captured)
            #expect(receipt.remainingLimit == Self.limit - captured)
            let extraOut = try #require(paid.settle?.extra)
            #expect(extraOut["status"]?.stringValue == "charged")
            #expect(extraOut["heldAmount"]?.stringValue == "16000")
            #expect(extraOut["capturedAmount"]?.stringValue == "7004")
            #expect(extraOut["breakdown"]?["total"]?.stringValue == "0.007004")
            #expect(try await caller.spent() == captured)
            #expect(try await caller.charged() == captured)
            let payment = try #require(try await gateway.store.payment(receipt.receiptId))
            #expect(payment.status == .charged)
            #expect(payment.amount == captured)
            let metrics = try await gateway.send(.GET, "/metrics").body
            #expect(metrics.contains("pb_held_base_units_total 16000"))
            #expect(metrics.contains("pb_captured_base_units_total 7004"))
            #expect(metrics.contains("pb_released_base_units_total 8996"))
        }
    }

    @Test func missingUsageLeavesAHoldTheCaptureAPICaptures() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let paid = try await caller.call(Self.path)
            #expect(paid.status == 200)
            let receipt = try #require(paid.receipt)
            #expect(receipt.amount == Self.hold)
            #expect(paid.settle?.extra?["status"]?.stringValue == "held")
            #expect(try await caller.spent() == Self.hold)
            #expect(try await gateway.store.payment(receipt.receiptId)?.status == .held)

            let capturePath = "/v1/payments/\(receipt.receiptId.hex)/capture"
            let body = #"{"usage": {"input_tokens": "1000", "output_tokens": "500"}}"#
            let captured = try await gateway.admin(.POST, capturePath, body: body)
            #expect(captured.status == 200, "\(captured.body)")
            // 1,000 x 2 + 500 x 8 = 6,000 base units.
            let json = try JSONValue.parse(captured.body)
            #expect(json["status"]?.stringValue == "charged")
            #expect(json["amountBaseUnits"]?.stringValue == "6000")
            #expect(json["hold"]?["state"]?.stringValue == "captured")
            #expect(json["hold"]?["releasedAmountBaseUnits"]?.stringValue == "10000")
            #expect(try await caller.spent() == 6_000)
            #expect(try await caller.charged() == 6_000)
            // The same capture again answers the stored one; another usage is a conflict; nothing moves.
            #expect(try await gateway.admin(.POST, capturePath, body: body).status == 200)
            let other = try await gateway.admin(.POST, capturePath, body: #"{"usage": {"input_tokens": "1"}}"#)
            #expect(other.status == 409)
            #expect(try await caller.spent() == 6_000)
            // Bad usage names the field; an unknown payment is 404.
            let bad = try await gateway.admin(.POST, capturePath, body: #"{"usage": {"input_tokens": "-1"}}"#)
            #expect(bad.status == 400)
            #expect(try JSONValue.parse(bad.body)["field"]?.stringValue == "usage.input_tokens")
            let unknown = "/v1/payments/\(Bytes32.random().hex)/capture"
            #expect(try await gateway.admin(.POST, unknown, body: body).status == 404)
        }
    }

    @Test func expiredHoldIsReleased() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture, clock: ManualWallClock(SystemWallClock().now)) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let first = try #require(try await caller.call(Self.path).receipt)
            let second = try #require(try await caller.call(Self.path).receipt)
            #expect(try await caller.spent() == 2 * Self.hold)
            // Holds are capturable for 300 s (the default): not released one second before.
            gateway.manualClock.advance(bySeconds: 299)
            #expect(await gateway.sweepHolds().isEmpty)
            gateway.manualClock.advance(bySeconds: 1)
            #expect(await gateway.sweepHolds().map(\.receiptId).sorted { $0.hex < $1.hex } == [first.receiptId, second.receiptId].sorted { $0.hex < $1.hex })
            #expect(try await caller.spent() == 0)
            #expect(try await caller.charged() == 0)
            #expect(try await gateway.store.payment(first.receiptId)?.status == .voided)
            let late = try await gateway.admin(
                .POST, "/v1/payments/\(first.receiptId.hex)/capture", body: #"{"usage": {"input_tokens": "10"}}"#)
            #expect(late.status == 409)
            #expect(try await caller.spent() == 0)
            #expect(try await gateway.sendMetrics().contains("pb_released_base_units_total 32000"))
        }
    }

    @Test func captureAfterExpiryReleasesTheHoldWithoutASweep() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture, clock: ManualWallClock(SystemWallClock().now)) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let receipt = try #require(try await caller.call(Self.path).receipt)
            gateway.manualClock.advance(bySeconds: 300)
            let late = try await gateway.admin(
                .POST, "/v1/payments/\(receipt.receiptId.hex)/capture", body: #"{"usage": {"input_tokens": "10"}}"#)
            #expect(late.status == 409)
            #expect(try JSONValue.parse(late.body)["error"]?.stringValue == "hold_expired")
            #expect(try await gateway.store.payment(receipt.receiptId)?.status == .voided)
            #expect(try await caller.spent() == 0)
        }
    }

    @Test func usageAboveTheHoldCapturesTheHold() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            // 5,000 x 2 + 2,000 x 8 = 26,000 would be due; the hold (16,000) is the most a call can cost.
            let paid = try await caller.call(Self.path, headers: [("X-Test-Usage", "input_tokens=5000;output_tokens=2000")])
            #expect(paid.status == 200)
            #expect(paid.receipt?.amount == Self.hold)
            #expect(paid.settle?.extra?["overHold"] == .bool(true))
            #expect(try await caller.spent() == Self.hold)
            #expect(try await gateway.sendMetrics().contains("pb_captures_over_hold_total 1"))
        }
    }

    /// Malformed reports, each on its own call through one gateway.
    static let malformedReports = ["input_tokens=12x", "input_tokens=1;input_tokens=2", "tokens=5", "input_tokens=-1", "output_tokens"]

    @Test func malformedUsageKeepsTheHoldOpen() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            for (index, header) in Self.malformedReports.enumerated() {
                let paid = try await caller.call(Self.path, headers: [("X-Test-Usage", header)])
                #expect(paid.status == 200, "the upstream delivered; a bad report (\(header)) does not fail the call")
                #expect(paid.headers.first(name: "PB-Usage") == nil)
                let receipt = try #require(paid.receipt)
                #expect(receipt.amount == Self.hold)
                #expect(try await gateway.store.payment(receipt.receiptId)?.status == .held)
                #expect(try await caller.spent() == UInt128(index) * 200 + Self.hold)
                #expect(try await gateway.sendMetrics().contains("pb_usage_reports_invalid_total \(index + 1)"))
                // The merchant can still capture the right usage: 100 x 2 = 200 base units.
                let captured = try await gateway.admin(
                    .POST, "/v1/payments/\(receipt.receiptId.hex)/capture", body: #"{"usage": {"input_tokens": 100}}"#)
                #expect(captured.status == 200)
                #expect(try await caller.spent() == UInt128(index + 1) * 200)
            }
        }
    }

    @Test func upstreamFailureVoidsTheHoldAndAReplayIsRefused() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let failed = try await caller.call(Self.path, headers: [("X-Test-Status", "503"), ("X-Test-Usage", "input_tokens=5")])
            #expect(failed.status == 503)
            #expect(failed.settle?.errorReason?.rawValue == "pb_charge_voided")
            #expect(failed.headers.first(name: "PB-Usage") == nil)
            #expect(try await caller.spent() == 0)
            // A captured call's header, replayed, is refused and charges nothing more.
            let paid = try await caller.call(Self.path, headers: [("X-Test-Usage", "input_tokens=10;output_tokens=10")])
            #expect(paid.receipt?.amount == 100)
            let replay = try await gateway.send(.POST, Self.path, headers: [("PAYMENT-SIGNATURE", paid.header)], body: "{}")
            #expect(replay.status == 402)
            #expect(try JSONValue.parse(replay.body)["error"]?.stringValue == "pb_sequence_replayed")
            #expect(try await caller.spent() == 100)
        }
    }

    /// Half a base unit per token: each capture collects whole base units and the channel carries the half.
    @Test func subUnitRemaindersAreCarriedPerChannel() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            // 3 tokens at 0.5 = 1.5 base units: the hold is rounded up to 2 so a carried half can never tip over it.
            #expect(try await caller.offer("/v1/usage/half").amount == "2")
            var captured: [UInt128] = []
            for tokens in [1, 1, 3, 1] {
                let paid = try await caller.call("/v1/usage/half", headers: [("X-Test-Usage", "input_tokens=\(tokens)")])
                captured.append(try #require(paid.receipt).amount)
            }
            // 0.5 -> 0 (0.5 carried), 0.5 + 0.5 -> 1, 1.5 -> 1 (0.5 carried), 0.5 + 0.5 -> 1: 3 in all for 6 tokens.
            #expect(captured == [0, 1, 1, 1])
            #expect(try await caller.spent() == 3)
        }
    }

    @Test func creditWindowIsConsumedByTheCapturedAmount() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let grant = fixture.grant()
            let client = try fixture.client(grant, windows: true)
            for _ in 1...3 {
                let response = try await client.send(
                    method: "POST", url: gateway.url(Self.path), headers: [("X-Test-Usage", "input_tokens=1234;output_tokens=567")])
                #expect(response.status == 200, "\(response.bodyText)")
                #expect(response.receipt?.amount == 7_004)
            }
            let channel = try #require(try await gateway.store.channel(ChannelKey(grantId: grant.digest, payee: fixture.payee)))
            #expect(channel.chargedCumulativeAmount == 3 * 7_004)
            let window = try #require(channel.window)
            // Each call's MAC covered the 16,000 hold; the window's credit went down by what was captured.
            #expect(window.ceiling - channel.chargedCumulativeAmount == 1_000_000 - 3 * 7_004)
        }
    }

    /// A window of 0.05 holds three 16,000 holds at once; as each capture releases 8,996, PBClient fits five
    /// captured calls (4 x 7,004 + 16,000 = 44,016 reserved before the fifth) under one signed voucher.
    @Test func clientReusesTheCreditACaptureReleases() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture, maxWindowCredit: "0.05") { gateway in
            let grant = fixture.grant()
            let client = try fixture.client(grant, windows: true)
            for _ in 1...5 {
                let response = try await client.send(
                    method: "POST", url: gateway.url(Self.path), headers: [("X-Test-Usage", "input_tokens=1234;output_tokens=567")])
                #expect(response.receipt?.amount == 7_004)
            }
            let channel = try #require(try await gateway.store.channel(ChannelKey(grantId: grant.digest, payee: fixture.payee)))
            #expect(channel.lastSequence == 1, "one voucher opened the window for all five calls")
            #expect(channel.chargedCumulativeAmount == 5 * 7_004)
        }
    }

    @Test func twoHundredConcurrentHeldCallsNeverExceedTheGrant() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture, maxWindowCredit: "5") { gateway in
            // Room for exactly 50 holds of 16,000: one opens a window, then 199 calls race for the other 49.
            let limit: UInt128 = 50 * Self.hold
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant(totalLimit: limit))
            let offer = try await caller.offer(Self.path)
            let opening = SignedPaymentVoucher.sign(
                PaymentVoucher(
                    grantId: caller.grant.digest, payee: fixture.payee, cumulativeAmount: limit, sequence: 1,
                    requestBinding: .zero, validUntil: UInt64(gateway.clock.now.seconds) + 3_600),
                domain: fixture.domain, with: fixture.agent)
            let openingHeader = try PaymentHeaderCodec.encode(PaymentPayload(
                accepted: offer, payload: SessionPaymentPayload.voucher(grant: caller.grant, voucher: opening).jsonValue))
            let opened = try await gateway.send(.POST, Self.path, headers: [("PAYMENT-SIGNATURE", openingHeader)], body: "{}")
            #expect(opened.status == 200, "\(opened.body)")
            let key = CreditWindowKey(
                sessionKey: fixture.agent, gatewayPublicKey: fixture.gatewayKey.publicKey, windowId: opening.digest)
            let binding = RequestBinding.compute(method: "POST", target: Self.path)
            // Headers are made before the race: child tasks capture only strings.
            let headers = try (1...199).map { (index: UInt64) in
                let call = SessionCall(
                    grantId: caller.grant.digest, windowId: opening.digest, callIndex: index,
                    mac: key.mac(callIndex: index, requestBinding: binding, amount: Self.hold))
                return try PaymentHeaderCodec.encode(PaymentPayload(accepted: offer, payload: SessionPaymentPayload.call(call).jsonValue))
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for header in headers {
                    group.addTask {
                        try await gateway.send(.POST, Self.path, headers: [("PAYMENT-SIGNATURE", header)], body: "{}").status
                    }
                }
                var collected: [Int] = []
                for try await status in group { collected.append(status) }
                return collected
            }
            #expect(statuses.filter { $0 == 200 }.count == 49)
            #expect(statuses.filter { $0 != 200 }.allSatisfy { $0 == 402 })
            #expect(try await caller.spent() == limit)
            let payments = try await gateway.store.payments(grantId: caller.grant.digest, after: nil, limit: 500).items
            #expect(payments.count == 50)
            #expect(payments.allSatisfy { $0.status == .held && $0.amount == Self.hold })
            // Capturing them all releases 50 x (16,000 - 7,004) = 449,800 and leaves 50 x 7,004 = 350,200 spent.
            for payment in payments {
                let captured = try await gateway.admin(
                    .POST, "/v1/payments/\(payment.receiptId.hex)/capture",
                    body: #"{"usage": {"input_tokens": "1234", "output_tokens": "567"}}"#)
                #expect(captured.status == 200)
            }
            #expect(try await caller.spent() == 350_200)
            #expect(try await caller.charged() == 350_200)
        }
    }
}

extension RunningGateway {
    func sendMetrics() async throws -> String { try await send(.GET, "/metrics").body }
}
