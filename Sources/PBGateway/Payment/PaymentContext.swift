import HTTPTypes
import Hummingbird
import NIOCore
import PBCore
import PBGuard
import PBPricing
import PBProtocol
import PBStore
import Synchronization

/// What the payment middleware learnt about a paid request, for the handlers behind it.
public struct PaymentState: Sendable {
    public let payment: PaymentRecord
    /// `PAYMENT-RESPONSE` as the processor answered it (built into a `SettleResponse` only when asked for).
    let response: PaidPayment.Response
    public let service: ServiceRecord
    /// For a held payment (authorize-then-capture): where the handler's capture is made and remembered.
    let holdCapture: HoldCaptureHandle?

    init(payment: PaymentRecord, response: PaidPayment.Response, service: ServiceRecord, holdCapture: HoldCaptureHandle? = nil) {
        self.payment = payment
        self.response = response
        self.service = service
        self.holdCapture = holdCapture
    }

    /// The x402 settle response with the gateway's receipt, as `PAYMENT-RESPONSE` carries it.
    public var settleResponse: SettleResponse { response.settleResponse }

    public var receiptId: Bytes32 { payment.receiptId }
    public var grantId: Bytes32 { payment.grantId }
    /// The amount charged, or held for a usage-priced route until the capture.
    public var amount: UInt128 { payment.amount }
    public var isHeld: Bool { payment.status == .held }

    /// Captures the usage this request consumed on its hold: priced on the quote's terms, at most the hold, the
    /// rest released. The response then carries the receipt at the captured amount. A handler that neither
    /// captures nor sets `PB-Usage` leaves the hold open for `POST /v1/payments/{receiptId}/capture` until it
    /// expires. Throws `UsageReportError` for usage the route does not price, `GatewayError` when not held.
    @discardableResult
    public func capture(_ usage: ReportedUsage) async throws -> CaptureResult {
        guard let holdCapture else { throw GatewayError.conflict("payment \(receiptId) is not held; it was charged at its price") }
        return try await holdCapture.capture(usage)
    }
}

/// One held request's capture, shared between the handler (through `PaymentState`) and the middleware.
final class HoldCaptureHandle: Sendable {
    let processor: PaymentProcessor
    let receiptId: Bytes32
    private let result = Mutex<CaptureResult?>(nil)

    init(processor: PaymentProcessor, receiptId: Bytes32) {
        self.processor = processor
        self.receiptId = receiptId
    }

    var captured: CaptureResult? { result.withLock { $0 } }

    func capture(_ usage: ReportedUsage) async throws -> CaptureResult {
        let outcome = try await processor.capture(receiptId, usage: usage)
        result.withLock { $0 = outcome }
        return outcome
    }
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

/// The route a request maps to: its service and how it is priced (neither a price nor a plan: a free path).
public struct PricedRoute: Sendable, Hashable {
    public let service: ServiceRecord
    public let priceBaseUnits: UInt128?
    /// Names the rule that made the price, for receipts and invoices (e.g. `route:POST /v1/chat`).
    public let rule: String
    /// The route's plan (a simple price is a per-call plan); nil for a free path.
    public let plan: RoutePricePlan?
    /// The oracle overrides whose scope covers this route.
    public let overrides: [RateOverride]
    /// The request's path segments matched by the route's `*` wildcards, in order (for per-dimension prices).
    public let wildcardValues: [String]
    /// Changes whenever anything the route's offer depends on changes (service, plan, oracle rates); offers made
    /// under one generation may be reused within a second. Nil: never reuse an offer.
    public let generation: UInt64?

    public init(
        service: ServiceRecord, priceBaseUnits: UInt128?, rule: String, plan: RoutePricePlan? = nil,
        overrides: [RateOverride] = [], wildcardValues: [String] = [], generation: UInt64? = nil
    ) {
        self.service = service
        self.priceBaseUnits = priceBaseUnits
        self.rule = rule
        self.plan = plan
        self.overrides = overrides
        self.wildcardValues = wildcardValues
        self.generation = generation
    }

    public var isFree: Bool { priceBaseUnits == nil && plan == nil }
}

/// Maps a request to its service and price.
public protocol RoutePricing: Sendable {
    func route(method: String, path: String) async throws -> PricedRoute?
}
