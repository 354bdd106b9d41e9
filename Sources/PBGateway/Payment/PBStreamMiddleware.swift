import HTTPTypes
import Hummingbird
import Logging
import PBCore
import PBGuard
import PBProtocol
import PBStore

/// The HTTP 402 gate as Hummingbird middleware: free routes pass, priced routes need a pb-session payment.
///
/// A request without payment gets `402` and a `PAYMENT-REQUIRED` offer; a paid request is verified and charged
/// (atomically, by `PaymentProcessor`) before `next` runs, and its response carries `PAYMENT-RESPONSE` with the
/// gateway-signed receipt. If `next` throws or answers 5xx, the charge is voided: the client is not charged for an
/// upstream failure, and may retry the same payment, which is then charged once. A usage-priced route holds its
/// quote's maximum and captures what the handler (`context.payment?.capture`) or the `PB-Usage` response header
/// reports (PBStreamMiddleware+Holds.swift). Requests no route matches pass on
/// untouched (`unknownRoutes: .passThrough`, for embedding) or get 404 (`.refuse`, for the reverse proxy).
public struct PBStreamMiddleware<Context: PaymentRequestContext>: RouterMiddleware {
    public enum UnknownRoutes: Sendable { case passThrough, refuse }

    public let processor: PaymentProcessor
    public let pricing: any RoutePricing
    public let unknownRoutes: UnknownRoutes
    /// Base URL written into `resource.url` of the 402 (e.g. `https://api.example.com`).
    public let publicBaseURL: String
    public let metrics: GatewayMetrics
    private let offers = RouteOfferCache()
    private let payloads = PaymentPayloadDecoder()

    public init(
        processor: PaymentProcessor, pricing: any RoutePricing, unknownRoutes: UnknownRoutes = .passThrough,
        publicBaseURL: String, metrics: GatewayMetrics = GatewayMetrics()
    ) {
        self.processor = processor
        self.pricing = pricing
        self.unknownRoutes = unknownRoutes
        self.publicBaseURL = publicBaseURL
        self.metrics = metrics
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let method = request.method.rawValue
        let target = request.uri.description
        guard let route = try await pricing.route(method: method, path: request.uri.path) else {
            metrics.recordRequest(outcome: "unpriced")
            if unknownRoutes == .passThrough { return try await next(request, context) }
            throw GatewayError.notFound("no service is configured for \(method) \(request.uri.path)")
        }
        guard let plan = route.plan else {
            metrics.recordRequest(outcome: "free")
            return try await next(request, context)
        }
        let quoted = try RouteQuoting.offer(
            route, plan: plan, headers: request.headers, method: method, target: target, processor: processor,
            cache: offers)
        let quote = quoted.quote, offer = quoted.offer
        let resourceURL = publicBaseURL + target
        guard let header = request.headers[.paymentSignature] else {
            let refusal = request.headers[.legacyPayment] == nil
                ? PaymentRefusal(.paymentRequired, RouteQuoting.describe(quote, extra: offer.extra))
                : PaymentRefusal(.invalidX402Version, "X-PAYMENT is x402 v1; pb-session needs PAYMENT-SIGNATURE (v2)")
            metrics.recordRequest(outcome: "refused")
            metrics.recordRefusal(code: refusal.code.rawValue)
            throw PaymentErrorResponse(refusal: refusal, offer: offer, resourceURL: resourceURL)
        }
        let payload: PaymentPayload
        do throws(PaymentHeaderError) {
            payload = try payloads.decode(header)
        } catch {
            let refusal = PaymentRefusal(error.errorCode, "PAYMENT-SIGNATURE: \(error.description)", httpStatus: error.httpStatus)
            metrics.recordRequest(outcome: "refused")
            metrics.recordRefusal(code: refusal.code.rawValue)
            throw PaymentErrorResponse(refusal: refusal, offer: offer, resourceURL: resourceURL)
        }
        let started = ContinuousClock.now
        // Only Sentinel reads the address (its address conditions), so it is not even formatted when Sentinel is off.
        let clientIP = processor.risk?.isEnabled == true ? (context as? GatewayRequestContext)?.remoteAddress?.ipAddress : nil
        let outcome = await processor.process(payload, offer: offer, clientIP: clientIP)
        switch outcome {
        case .refused(let refusal, let channel, let earlierReceipt):
            metrics.recordRequest(outcome: "refused")
            metrics.recordRefusal(code: refusal.code.rawValue)
            context.logger.info(
                "payment refused",
                metadata: ["payment.code": .string(refusal.code.rawValue), "payment.service": .string(route.service.id)])
            throw PaymentErrorResponse(
                refusal: refusal, offer: offer, channel: channel, earlierReceipt: earlierReceipt, resourceURL: resourceURL)
        case .paid(let paid):
            metrics.recordCharge(amountBaseUnits: paid.record.amount, latency: ContinuousClock.now - started)
            if paid.record.status == .held { metrics.recordHold(amountBaseUnits: paid.record.amount) }
            metrics.recordRequest(outcome: "paid")
            return try await forward(request, context: context, paid: paid, service: route.service, next: next)
        }
    }

    private func forward(
        _ request: Request, context: Context, paid: PaidPayment, service: ServiceRecord,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let holdCapture = paid.record.status == .held
            ? HoldCaptureHandle(processor: processor, receiptId: paid.record.receiptId) : nil
        context.payment = PaymentState(
            payment: paid.record, response: paid.response, service: service, holdCapture: holdCapture)
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            try await voidCharge(paid, context: context, reason: "handler failed")
            throw error
        }
        guard response.status.code < 500 else {
            try await voidCharge(paid, context: context, reason: "upstream answered \(response.status.code)")
            var failed = response
            failed.headers[.pbUsage] = nil
            let voided = SettleResponse(
                success: false, errorReason: "pb_charge_voided",
                errorMessage: "the upstream failed, so the charge was voided; retry with the same payment",
                transaction: "", network: paid.settleResponse.network, amount: "0")
            if let header = try? PaymentHeaderCodec.encode(voided) { failed.headers[.paymentResponse] = header }
            return failed
        }
        var paidResponse = response
        var answer = paid.response
        if let holdCapture {
            answer = .settled(await finishHold(paid, capture: holdCapture, response: &paidResponse, context: context))
        }
        if let header = answer.headerValue { paidResponse.headers[.paymentResponse] = header }
        return paidResponse
    }

    private func voidCharge(_ paid: PaidPayment, context: Context, reason: String) async throws {
        metrics.recordRequest(outcome: "voided")
        // A hold captured by the handler before it failed is voided whole too: the service was not delivered.
        if let voided = try await processor.void(paid.record.receiptId), paid.record.status == .held {
            metrics.recordRelease(amountBaseUnits: voided.amount)
        }
        context.logger.warning(
            "charge voided",
            metadata: ["payment.receipt": .string(paid.record.receiptId.hex), "payment.reason": .string(reason)])
    }
}
