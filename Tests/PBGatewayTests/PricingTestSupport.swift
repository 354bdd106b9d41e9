import Foundation
import NIOHTTP1
import PBCore
import PBCrypto
import PBGateway
import PBPricing
import PBProtocol
import PBStore
import Testing

/// The plan-priced routes the pricing tests add to the chat service; the upstream answers them under `/v1/usage/`.
enum PricingRoutes {
    /// 0.000002 per input token, 0.000008 per output token; a call holds 4,000 in and 1,000 out: 16,000 base units.
    static let chat = RouteRecord(
        method: "POST", path: "/v1/usage/chat", priceBaseUnits: nil,
        pricing: RoutePlan(
            plan: PricePlanConfig(prices: [
                UnitPriceConfig(unit: "input_token", rate: "0.000002"),
                UnitPriceConfig(unit: "output_token", rate: "0.000008"),
            ]),
            hold: ["input_tokens": 4_000, "output_tokens": 1_000]))

    /// Half a base unit per token, holding 3 tokens (1.5 base units, held as 2): captures carry the half units.
    static let halfUnit = RouteRecord(
        method: "POST", path: "/v1/usage/half", priceBaseUnits: nil,
        pricing: RoutePlan(
            plan: PricePlanConfig(prices: [UnitPriceConfig(unit: "input_token", rate: "0.0000005")]),
            hold: ["input_token": 3]))

    /// Per call by model, from the path: small 0.001, large 0.004, no fallback.
    static let models = RouteRecord(
        method: "POST", path: "/v1/usage/models/*/chat", priceBaseUnits: nil,
        pricing: RoutePlan(
            plan: PricePlanConfig(prices: [
                UnitPriceConfig(unit: "call", dimension: ["model": "small"], rate: "0.001"),
                UnitPriceConfig(unit: "call", dimension: ["model": "large"], rate: "0.004"),
            ]),
            dimensions: ["model": DimensionSource(wildcard: 1)]))

    /// Per call by the `X-Model` header: large 0.004, anything else (or none) 0.002.
    static let ask = RouteRecord(
        method: "POST", path: "/v1/usage/ask", priceBaseUnits: nil,
        pricing: RoutePlan(
            plan: PricePlanConfig(prices: [
                UnitPriceConfig(unit: "call", dimension: ["model": "large"], rate: "0.004"),
                UnitPriceConfig(unit: "call", rate: "0.002"),
            ]),
            dimensions: ["model": DimensionSource(header: "X-Model")]))

    /// GPU time at 0.001 per second, twice that from 18:00 to 22:00 UTC every day; a call holds 60 seconds.
    static let gpu = RouteRecord(
        method: "POST", path: "/v1/usage/gpu", priceBaseUnits: nil,
        pricing: RoutePlan(
            plan: PricePlanConfig(
                timeZone: "UTC",
                peakWindows: [
                    PeakWindowConfig(
                        name: "evening", days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], from: "18:00",
                        to: "22:00", multiplier: "2")
                ],
                prices: [UnitPriceConfig(unit: "second", rate: "0.001")]),
            hold: ["seconds": 60]))

    static let all = [chat, halfUnit, models, ask, gpu]

    static func fixture() -> GatewayFixture {
        var fixture = GatewayFixture()
        fixture.extraRoutes = all
        return fixture
    }
}

/// Paying plan-priced routes by hand, one signed voucher per call, so every amount is the test's own.
struct PricedCaller: Sendable {
    let fixture: GatewayFixture
    let gateway: RunningGateway
    let grant: SignedSessionGrant

    var channelKey: ChannelKey { ChannelKey(grantId: grant.digest, payee: fixture.payee) }

    /// `accepts[0]` of the 402 for `path`, and the 402's status.
    func offer(_ path: String, headers: [(String, String)] = []) async throws -> PaymentRequirements {
        let unpaid = try await gateway.send(.POST, path, headers: headers, body: "{}")
        try #require(unpaid.status == 402, "expected a 402 for \(path): \(unpaid.status) \(unpaid.body)")
        let required = try PaymentHeaderCodec.decode(
            try #require(unpaid.headers.first(name: "PAYMENT-REQUIRED")), as: PaymentRequired.self)
        return try #require(required.accepts.first)
    }

    /// A single-payment header for `offer` (the amount it asks), continuing the channel as the gateway sees it.
    func header(for offer: PaymentRequirements, path: String, sequence: UInt64? = nil) async throws -> String {
        let channel = try await gateway.store.channel(channelKey)
        let amount = try #require(UInt128(offer.amount))
        let voucher = SignedPaymentVoucher.sign(
            PaymentVoucher(
                grantId: grant.digest, payee: fixture.payee,
                cumulativeAmount: (channel?.chargedCumulativeAmount ?? 0) + amount,
                sequence: sequence ?? (channel?.lastSequence ?? 0) + 1,
                requestBinding: RequestBinding.compute(method: "POST", target: path),
                validUntil: UInt64(gateway.clock.now.seconds) + 3_600),
            domain: fixture.domain, with: fixture.agent)
        return try PaymentHeaderCodec.encode(
            PaymentPayload(accepted: offer, payload: SessionPaymentPayload.voucher(grant: grant, voucher: voucher).jsonValue))
    }

    /// Asks for the offer, pays it and returns the response; `headers` go with both requests.
    func call(_ path: String, headers: [(String, String)] = []) async throws -> PaidCall {
        let offer = try await offer(path, headers: headers)
        return try await pay(offer, path: path, headers: headers)
    }

    func pay(_ offer: PaymentRequirements, path: String, headers: [(String, String)] = []) async throws -> PaidCall {
        let header = try await header(for: offer, path: path)
        let response = try await gateway.send(.POST, path, headers: headers + [("PAYMENT-SIGNATURE", header)], body: "{}")
        return PaidCall(status: response.status, headers: response.headers, body: response.body, header: header)
    }

    func spent() async throws -> UInt128 { try #require(try await gateway.store.grant(grant.digest)).spent }
    func charged() async throws -> UInt128 { try await gateway.store.channel(channelKey)?.chargedCumulativeAmount ?? 0 }
}

/// A paid call's response, its `PAYMENT-RESPONSE` decoded.
struct PaidCall: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String
    let header: String

    var settle: SettleResponse? {
        headers.first(name: "PAYMENT-RESPONSE").flatMap { try? PaymentHeaderCodec.decode($0, as: SettleResponse.self) }
    }

    /// The signed receipt in `PAYMENT-RESPONSE`.
    var receipt: PaymentReceipt? {
        guard let extra = settle?.extra else { return nil }
        return try? SessionReceiptExtra.parse(extra, domain: PBSessionDomain.make(chainId: 8453)).message
    }
}

extension RunningGateway {
    /// Runs the hold sweep once, as the server's background service does every few seconds.
    func sweepHolds() async -> [PaymentRecord] {
        await HoldSweeper(processor: application.processor, metrics: application.metrics, logger: .init(label: "test"))
            .sweepOnce()
    }

    /// The gateway's clock, which the pricing tests move.
    var manualClock: ManualWallClock { clock as! ManualWallClock }
}
