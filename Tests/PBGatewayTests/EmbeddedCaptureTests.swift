import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PBCore
import PBCrypto
import PBGateway
import PBGuard
import PBProtocol
import PBStore
import PBStoreSQLite
import Testing

/// `PBStreamMiddleware` embedded in a merchant's own Hummingbird API: handlers capture held payments through
/// `context.payment?.capture(_:)`.
@Suite struct EmbeddedCaptureTests {
    /// A merchant API on loopback: the token route captures 100 input and 50 output tokens itself, `/v1/usage/quiet`
    /// (same plan) captures nothing, and the per-call `/v1/usage/ask` tries to capture and is told it is not held.
    func withEmbeddedAPI(_ test: @escaping @Sendable (any TestClientProtocol, GatewayFixture, any GatewayStore) async throws -> Void)
        async throws
    {
        let fixture = GatewayFixture()
        let store = try SQLiteGatewayStore.inMemory()
        var quiet = PricingRoutes.chat
        quiet.path = "/v1/usage/quiet"
        try await store.upsertService(ServiceRecord(
            id: "chat", name: "Chat", payee: fixture.payee, asset: GatewayFixture.usdc, network: "eip155:8453",
            upstreamURL: nil, pathPrefix: "/", routes: [PricingRoutes.chat, quiet, PricingRoutes.ask]))
        let catalog = ServiceCatalog(store: store)
        try await catalog.reload()
        let processor = PaymentProcessor(
            store: store, gatewayKey: fixture.gatewayKey, domain: fixture.domain, clock: SystemWallClock())
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: PBStreamMiddleware(processor: processor, pricing: catalog, publicBaseURL: "http://127.0.0.1"))
        router.post("/v1/usage/chat") { _, context -> String in
            guard case .captured(let paid, _)? = try await context.payment?.capture(
                ReportedUsage([.inputToken: 100, .outputToken: 50]))
            else { return "not captured" }
            return "captured \(paid.record.amount)"
        }
        router.post("/v1/usage/quiet") { _, context -> String in "held \(context.payment?.isHeld == true)" }
        router.post("/v1/usage/ask") { _, context -> String in
            do {
                try await context.payment?.capture(ReportedUsage([.call: 1]))
                return "captured"
            } catch let error as GatewayError {
                return "refused \(error.code)"
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await test(client, fixture, store) }
    }

    /// Pays `path` with a single voucher for the amount its 402 asks; returns the body and the receipt.
    func pay(_ path: String, client: some TestClientProtocol, fixture: GatewayFixture, grant: SignedSessionGrant, sequence: UInt64,
             charged: UInt128) async throws -> (body: String, receipt: PaymentReceipt?) {
        let unpaid = try await client.execute(uri: path, method: .post)
        let offer = try PaymentHeaderCodec.decode(try #require(unpaid.headers[.paymentRequired]), as: PaymentRequired.self).accepts[0]
        let voucher = SignedPaymentVoucher.sign(
            PaymentVoucher(
                grantId: grant.digest, payee: fixture.payee, cumulativeAmount: charged + (UInt128(offer.amount) ?? 0),
                sequence: sequence, requestBinding: RequestBinding.compute(method: "POST", target: path),
                validUntil: UInt64(SystemWallClock().now.seconds) + 600),
            domain: fixture.domain, with: fixture.agent)
        let header = try PaymentHeaderCodec.encode(
            PaymentPayload(accepted: offer, payload: SessionPaymentPayload.voucher(grant: grant, voucher: voucher).jsonValue))
        let paid = try await client.execute(uri: path, method: .post, headers: [.paymentSignature: header])
        let settle = paid.headers[.paymentResponse].flatMap { try? PaymentHeaderCodec.decode($0, as: SettleResponse.self) }
        let receipt = settle?.extra.flatMap { try? SessionReceiptExtra.parse($0, domain: fixture.domain).message }
        return (String(buffer: paid.body), receipt)
    }

    @Test func handlerCapturesThroughThePaymentContext() async throws {
        try await withEmbeddedAPI { client, fixture, store in
            let grant = fixture.grant()
            let paid = try await pay("/v1/usage/chat", client: client, fixture: fixture, grant: grant, sequence: 1, charged: 0)
            // 100 x 0.000002 + 50 x 0.000008 = 0.0006: 600 base units of the 16,000 held.
            #expect(paid.body == "captured 600")
            #expect(paid.receipt?.amount == 600)
            #expect(try await store.grant(grant.digest)?.spent == 600)
            // A handler that reports nothing leaves the hold open.
            let quiet = try await pay("/v1/usage/quiet", client: client, fixture: fixture, grant: grant, sequence: 2, charged: 600)
            #expect(quiet.body == "held true")
            #expect(quiet.receipt?.amount == 16_000)
            #expect(try await store.grant(grant.digest)?.spent == 16_600)
            let receiptId = try #require(quiet.receipt?.receiptId)
            #expect(try await store.payment(receiptId)?.status == .held)
            // A per-call route is charged its price; there is nothing to capture.
            let ask = try await pay("/v1/usage/ask", client: client, fixture: fixture, grant: grant, sequence: 3, charged: 16_600)
            #expect(ask.body == "refused conflict")
            #expect(ask.receipt?.amount == 2_000)
        }
    }
}

/// The `PB-Usage` grammar: strict, with errors that name the key.
@Suite struct UsageReportTests {
    @Test func readsUnitsPluralsAndMilliseconds() throws {
        let usage = try ReportedUsage(header: "input_tokens=1234; output_tokens = 567;seconds=1500ms;custom:frame=3")
        #expect(usage.quantities == [.inputToken: 1_234, .outputToken: 567, .second: 1_500, .custom("frame"): 3])
        #expect(try ReportedUsage(header: "minutes=2").quantities == [.minute: 120_000])
        #expect(try ReportedUsage(json: .object([("input_token", .string("7")), ("calls", .number("1"))])).quantities
            == [.inputToken: 7, .call: 1])
    }

    @Test(arguments: [
        ("", ""), ("input_tokens", "input_tokens"), ("input_tokens=", "input_tokens"), ("input_tokens=01", "input_tokens"),
        ("input_tokens=1e3", "input_tokens"), ("input_tokens=+1", "input_tokens"), ("tokens=1", "tokens"),
        ("input_tokens=1;input_token=2", "input_token"), ("input_tokens=5ms", "input_tokens"),
        ("input_tokens=18446744073709551616", "input_tokens"), ("hours=18446744073709551615", "hours"),
        ("input_tokens=1;", ""),
    ])
    func refusesMalformedReports(header: String, field: String) {
        do {
            _ = try ReportedUsage(header: header)
            Issue.record("accepted '\(header)'")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }
}
