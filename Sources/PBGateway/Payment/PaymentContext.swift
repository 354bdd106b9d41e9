import HTTPTypes
import Hummingbird
import NIOCore
import PBCore
import PBProtocol
import PBStore

/// What the payment middleware learnt about a paid request, for the handlers behind it.
public struct PaymentState: Sendable {
    public let payment: PaymentRecord
    public let settleResponse: SettleResponse
    public let service: ServiceRecord

    public var receiptId: Bytes32 { payment.receiptId }
    public var grantId: Bytes32 { payment.grantId }
    public var amount: UInt128 { payment.amount }
}

/// A request context that carries payment state: conform your context to embed `PBStreamMiddleware`.
public protocol PaymentRequestContext: RequestContext {
    var payment: PaymentState? { get set }
}

/// The gateway's own request context.
public struct GatewayRequestContext: PaymentRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var payment: PaymentState?
    /// The management API key that authenticated the request, if any.
    public var apiKey: APIKeyRecord?
    /// The peer, for `X-Forwarded-For`.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        payment = nil
        apiKey = nil
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies of management calls are small JSON documents.
    public var maxUploadSize: Int { 1 << 20 }
}

/// The route a request maps to: its service and price (nil for a free path).
public struct PricedRoute: Sendable, Hashable {
    public let service: ServiceRecord
    public let priceBaseUnits: UInt128?
    /// Names the rule that made the price, for receipts and invoices (e.g. `route:POST /v1/chat`).
    public let rule: String

    public init(service: ServiceRecord, priceBaseUnits: UInt128?, rule: String) {
        self.service = service
        self.priceBaseUnits = priceBaseUnits
        self.rule = rule
    }
}

/// Maps a request to its service and price.
public protocol RoutePricing: Sendable {
    func route(method: String, path: String) async throws -> PricedRoute?
}
