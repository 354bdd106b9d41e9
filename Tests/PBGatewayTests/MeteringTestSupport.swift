import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import PBAlerts
import PBCore
import PBGateway
import PBMetering
import PBStore
import Synchronization
import Testing

/// A merchant's webhook endpoint on loopback: answers 500 to its first `failuresFirst` requests, 200 after, and
/// keeps every body with its signature header.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        let body: [UInt8]
        let signature: String
    }

    private let state = Mutex((failuresLeft: 0, received: [Delivery]()))

    init(failuresFirst: Int) { state.withLock { $0.failuresLeft = failuresFirst } }

    var received: [Delivery] { state.withLock { $0.received } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/hooks") { [self] request, _ -> Response in
            let body = Array(try await request.body.collect(upTo: 1 << 16).readableBytesView)
            let signature = request.headers[HTTPField.Name(WebhookDispatcher.signatureHeader)!] ?? ""
            let fail = state.withLock { state -> Bool in
                if state.failuresLeft > 0 {
                    state.failuresLeft -= 1
                    return true
                }
                state.received.append(Delivery(body: body, signature: signature))
                return false
            }
            return Response(status: fail ? .internalServerError : .ok)
        }
        return router
    }

    /// Runs `body` with the receiver listening; passes its URL.
    func listen(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let application = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))/hooks")
        }
    }

    /// Checks `PB-Signature: t=<seconds>,v1=<hex>` the way a merchant would, with the gateway's one verifier (the
    /// timestamp's freshness is left to the tests that move the clock).
    static func isValid(_ delivery: Delivery, secret: String) -> Bool {
        (try? WebhookSignature.verify(
            header: delivery.signature, body: delivery.body, secret: Array(secret.utf8), now: 0, toleranceSeconds: .max))
            != nil
    }
}

extension RunningGateway {
    /// The gateway's metering service, delivering to `webhook` when given.
    func meteringService(webhook: WebhookEndpoint? = nil, clock: ManualWallClock) -> MeteringService {
        let delivery = webhook.map {
            WebhookDispatcher(store: store, endpoint: $0, httpClient: .shared, clock: clock, maximumAttempts: 3, firstRetrySeconds: 5)
        }
        var logger = Logger(label: "pb.test.metering")
        logger.logLevel = .critical
        return MeteringService(meter: application.meter, delivery: delivery, logger: logger)
    }

    /// A merchant call with a JSON body; returns the status and the parsed body.
    func merchant(_ method: HTTPMethod, _ path: String, _ body: String? = nil, idempotencyKey: String? = nil)
        async throws -> (status: Int, json: JSONValue)
    {
        let headers = idempotencyKey.map { [("Idempotency-Key", $0)] } ?? []
        let response = try await admin(method, path, body: body, headers: headers)
        return (response.status, try JSONValue.parse(response.body))
    }
}

extension JSONValue {
    func at(_ path: String...) -> JSONValue? {
        path.reduce(Optional(self)) { value, key in value?[key] }
    }

    var text: String? {
        switch self {
        case .string(let text), .number(let text): text
        default: nil
        }
    }
}
