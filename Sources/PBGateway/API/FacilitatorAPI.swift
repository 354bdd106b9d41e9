import Foundation
import HTTPTypes
import Hummingbird
import PBCore
import PBCrypto
import PBGuard
import PBProtocol
import PBStore

/// The x402 facilitator endpoints for middlewares in other languages (authenticated by a merchant API key):
/// `POST /v1/quote` makes the 402 offer for a request, `POST /v1/verify` checks a payment, `POST /v1/settle` checks
/// and charges it (the same checks and the same atomic charge as the gateway's own path), `GET /v1/supported`.
public struct FacilitatorAPI: Sendable {
    public let processor: PaymentProcessor
    public let pricing: any RoutePricing

    public init(processor: PaymentProcessor, pricing: any RoutePricing) {
        self.processor = processor
        self.pricing = pricing
    }

    public func register(on router: Router<GatewayRequestContext>) {
        let group = router.group("/v1").add(middleware: APIKeyAuthenticator(store: processor.store))
        group.get("/supported") { _, _ in
            let supported = SupportedResponse(
                kinds: try await supportedKinds(), extensions: [],
                signers: ["eip155:*": [processor.gatewayKey.address.checksummed]])
            return try encoded(supported)
        }
        group.post("/quote") { request, context in
            let (body, _) = try await JSONBodies.read(request, context: context)
            guard let method = body["method"]?.stringValue, let target = body["target"]?.stringValue, target.hasPrefix("/") else {
                throw GatewayError.badRequest("send {method, target} of the request to price")
            }
            let offer = try await offer(method: method.uppercased(), target: target, headers: body["headers"])
            let required = PaymentRequired(
                error: X402ErrorCode.paymentRequired.rawValue,
                resource: ResourceInfo(url: body["resourceUrl"]?.stringValue ?? target), accepts: [offer.requirements])
            return try encoded(required)
        }
        group.post("/verify") { request, context in
            let (facilitatorRequest, offer) = try await facilitatorCall(request, context: context)
            let refusal = await processor.verify(facilitatorRequest.paymentPayload, offer: offer)
            let payer = await processor.payer(of: facilitatorRequest.paymentPayload)
            return try encoded(VerifyResponse(
                isValid: refusal == nil, invalidReason: refusal?.code, invalidMessage: refusal?.message,
                payer: payer?.checksummed))
        }
        group.post("/settle") { request, context in
            let (facilitatorRequest, offer) = try await facilitatorCall(request, context: context)
            switch await processor.process(facilitatorRequest.paymentPayload, offer: offer) {
            case .paid(let paid):
                return try encoded(paid.settleResponse)
            case .refused(let refusal, _, _):
                return try encoded(SettleResponse(
                    success: false, errorReason: refusal.code, errorMessage: refusal.message, transaction: "",
                    network: offer.requirements.network))
            }
        }
    }

    private func supportedKinds() async throws -> [SupportedKind] {
        let networks = Set(try await processor.store.services().map(\.network)).sorted()
        return networks.map { SupportedKind(x402Version: 2, scheme: SessionPaymentPayload.scheme, network: Network(rawValue: $0)) }
    }

    /// The offer for a request, as the gateway's own middleware would make it; `headers` (an object of header
    /// name to value) supplies per-dimension values a route reads from headers.
    private func offer(method: String, target: String, headers: JSONValue?) async throws -> PaymentOffer {
        let path = String(target.prefix { $0 != "?" })
        guard let route = try await pricing.route(method: method, path: path) else {
            throw GatewayError.notFound("no service is configured for \(method) \(path)")
        }
        guard let plan = route.plan else { throw GatewayError.badRequest("\(method) \(path) is free") }
        var fields = HTTPFields()
        for (name, value) in headers?.objectMembers ?? [] {
            if let name = HTTPField.Name(name), let text = value.stringValue { fields[name] = text }
        }
        return try RouteQuoting.offer(
            route, plan: plan, headers: fields, method: method, target: target, processor: processor, cache: nil).offer
    }

    /// A facilitator body plus the request it pays for: `{x402Version, paymentPayload, paymentRequirements,
    /// request: {method, target}}`. The offer is recomputed from the request, so a merchant's middleware cannot be
    /// tricked into accepting requirements the gateway did not make.
    private func facilitatorCall(_ request: Request, context: GatewayRequestContext) async throws -> (FacilitatorRequest, PaymentOffer) {
        let buffer = try await request.body.collect(upTo: JSONBodies.maximumBodyBytes)
        let decoded: FacilitatorRequest
        do { decoded = try JSONDecoder().decode(FacilitatorRequest.self, from: buffer) } catch {
            throw PaymentRefusal(.invalidPayload, "body is not an x402 facilitator request")
        }
        let (body, _) = try JSONBodies.parse(Array(buffer.readableBytesView))
        guard let method = body["request"]?["method"]?.stringValue, let target = body["request"]?["target"]?.stringValue else {
            throw GatewayError.badRequest("send request: {method, target} of the paid request with the facilitator body")
        }
        return (decoded, try await offer(method: method.uppercased(), target: target, headers: body["request"]?["headers"]))
    }

    private func encoded(_ value: some Encodable) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
