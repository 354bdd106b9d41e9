import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PBClient
import PBCore
import PBCrypto
import PBGateway
import PBGuard
import PBProtocol
import PBStore
import PBStoreSQLite
import Testing

/// The facilitator endpoints a middleware in another language uses, and the middleware embedded in a Swift API.
@Suite struct FacilitatorAPITests {
    @Test func quoteVerifySettleChargeOnceWithTheSameChecks() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let supported = try JSONValue.parse(try await gateway.admin(.GET, "/v1/supported").body)
            #expect(supported["kinds"]?.arrayValues?.first?["scheme"]?.stringValue == "pb-session")
            #expect(supported["signers"]?["eip155:*"]?.arrayValues?.first?.stringValue == fixture.gatewayKey.address.checksummed)

            let quote = try await gateway.admin(.POST, "/v1/quote", body: #"{"method":"POST","target":"/v1/chat"}"#)
            let required = try JSONDecoder().decode(PaymentRequired.self, from: Data(quote.body.utf8))
            let entry = try #require(required.accepts.first)
            #expect(entry.amount == "10000")

            let grant = fixture.grant()
            let voucher = SignedPaymentVoucher.sign(
                PaymentVoucher(
                    grantId: grant.digest, payee: fixture.payee, cumulativeAmount: 10_000, sequence: 1,
                    requestBinding: RequestBinding.compute(method: "POST", target: "/v1/chat"),
                    validUntil: UInt64(SystemWallClock().now.seconds) + 600),
                domain: fixture.domain, with: fixture.agent)
            let payload = PaymentPayload(accepted: entry, payload: SessionPaymentPayload.voucher(grant: grant, voucher: voucher).jsonValue)
            let body = try String(decoding: JSONEncoder().encode(FacilitatorRequest(paymentPayload: payload, paymentRequirements: entry)), as: UTF8.self)
            let withRequest = String(body.dropLast()) + #","request":{"method":"POST","target":"/v1/chat"}}"#

            let verified = try JSONValue.parse(try await gateway.admin(.POST, "/v1/verify", body: withRequest).body)
            #expect(verified["isValid"] == .bool(true))
            #expect(verified["payer"]?.stringValue == fixture.owner.address.checksummed)
            #expect(try await gateway.store.grant(grant.digest)?.spent == 0)

            let settled = try JSONDecoder().decode(SettleResponse.self, from: Data(try await gateway.admin(.POST, "/v1/settle", body: withRequest).body.utf8))
            #expect(settled.success)
            let receipt = try SessionReceiptExtra.parse(try #require(settled.extra), domain: fixture.domain)
            #expect(try receipt.recoverSigner().address == fixture.gatewayKey.address)
            #expect(try await gateway.store.grant(grant.digest)?.spent == 10_000)

            let again = try JSONDecoder().decode(SettleResponse.self, from: Data(try await gateway.admin(.POST, "/v1/settle", body: withRequest).body.utf8))
            #expect(!again.success)
            #expect(again.errorReason?.rawValue == "pb_sequence_replayed")
            #expect(try await gateway.store.grant(grant.digest)?.spent == 10_000)

            let unauthenticated = try await gateway.send(.POST, "/v1/settle", body: withRequest)
            #expect(unauthenticated.status == 401)
        }
    }

    /// A Swift API embeds the gate as middleware: handlers see the charge, 5xx answers void it.
    @Test func embeddedMiddlewareChargesAndHandlersSeeThePayment() async throws {
        let fixture = GatewayFixture()
        let store = try SQLiteGatewayStore.inMemory()
        let service = fixture.service(upstreamPort: 1)
        try await store.upsertService(service)
        let catalog = ServiceCatalog(store: store)
        try await catalog.reload()
        let processor = PaymentProcessor(
            store: store, gatewayKey: fixture.gatewayKey, domain: fixture.domain, clock: SystemWallClock())
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: PBStreamMiddleware<GatewayRequestContext>(processor: processor, pricing: catalog, publicBaseURL: "http://test"))
        router.post("/v1/chat") { _, context -> String in
            "paid \(context.payment?.amount ?? 0) under \(context.payment?.grantId.hex.prefix(10) ?? "none")"
        }
        router.get("/v1/fail") { _, _ -> Response in Response(status: .internalServerError) }
        router.get("/v1/models") { _, context -> String in context.payment == nil ? "free" : "charged?" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let grant = fixture.grant()
            let agent = try fixture.client(grant, windows: false)
            let paid = try await agent.send(method: "POST", url: base + "/v1/chat")
            #expect(paid.status == 200)
            #expect(paid.bodyText == "paid 10000 under \(grant.digest.hex.prefix(10))")
            #expect(try await agent.send(method: "GET", url: base + "/v1/models").bodyText == "free")
            let failed = try await agent.send(method: "GET", url: base + "/v1/fail")
            #expect(failed.status == 500)
            #expect(try await store.grant(grant.digest)?.spent == 10_000)
        }
    }
}
