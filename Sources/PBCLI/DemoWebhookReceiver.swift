import HTTPTypes
import Hummingbird
import Logging
import PBAlerts
import PBCore
import Synchronization

/// The attack demo's webhook endpoint: a loopback HTTP server that checks each delivery's `PB-Signature` with the
/// shared secret, as a merchant's receiver would, and keeps the alerts it accepted. A delivery whose signature does
/// not verify is answered 400 (the dispatcher would retry it) and not kept.
final class DemoWebhookReceiver: Sendable {
    struct Delivery: Sendable {
        let kind: String
        let title: String
        let signature: String
        let receivedAt: ContinuousClock.Instant
    }

    let secret: [UInt8]
    private let deliveries = Mutex<[Delivery]>([])
    private let rejected = Mutex(0)
    private let server = Mutex<ServerTask?>(nil)

    init(secret: [UInt8]) { self.secret = secret }

    var received: [Delivery] { deliveries.withLock { $0 } }
    var rejectedCount: Int { rejected.withLock { $0 } }

    /// Starts the server; returns the URL to configure as the alert webhook.
    func start(logger: Logger) async throws -> String {
        let router = Router()
        router.post("/alerts") { [self] request, _ -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: 64 * 1_024))
            let header = request.headers[HTTPField.Name(WebhookSignature.header)!] ?? ""
            do {
                try WebhookSignature.verify(
                    header: header, body: body, secret: secret, now: SystemWallClock().now.seconds)
            } catch {
                rejected.withLock { $0 += 1 }
                return Response(status: .badRequest)
            }
            let alert = try? JSONValue.parse(String(decoding: body, as: UTF8.self))
            let delivery = Delivery(
                kind: alert?["kind"]?.stringValue ?? "?", title: alert?["title"]?.stringValue ?? "?", signature: header,
                receivedAt: .now)
            deliveries.withLock { if $0.count < 64 { $0.append(delivery) } }
            return Response(status: .noContent)
        }
        let task = try await ServerTask.start(router: router, port: 0, logger: logger)
        server.withLock { $0 = task }
        return "http://127.0.0.1:\(task.port)/alerts"
    }

    /// Waits until `count` deliveries arrived, for at most about ten seconds.
    func waitFor(count: Int) async { await DemoWait.until { received.count >= count } }

    func stop() async {
        let task = server.withLock { $0 }
        await task?.stop()
    }
}
