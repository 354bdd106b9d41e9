import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PBCore
import Synchronization
import Testing

/// An HTTP endpoint on loopback standing in for a webhook receiver or Telegram's Bot API: answers each POST with
/// the next scripted answer (the last one repeats) and keeps every request's path, body and signature header.
final class LoopbackReceiver: Sendable {
    struct Request: Sendable {
        let path: String
        let body: [UInt8]
        let signature: String?
        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let body: String

        static let ok = Answer(status: .ok, body: #"{"ok":true,"result":{}}"#)
        static let serverError = Answer(status: .internalServerError, body: "{}")
    }

    private let state: Mutex<(answers: [Answer], received: [Request])>

    init(answers: [Answer]) { state = Mutex((answers, [])) }

    var received: [Request] { state.withLock { $0.received } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/**") { [self] request, _ -> Response in
            let body = Array(try await request.body.collect(upTo: 1 << 16).readableBytesView)
            let signature = request.headers[HTTPField.Name("PB-Signature")!]
            let answer = state.withLock { state -> Answer in
                state.received.append(Request(path: request.uri.path, body: body, signature: signature))
                return state.answers.count > 1 ? state.answers.removeFirst() : state.answers[0]
            }
            return Response(
                status: answer.status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        return router
    }

    /// Runs `body` while listening on a free loopback port; passes the base URL (`http://127.0.0.1:PORT`).
    func listen(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let application = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))")
        }
    }
}
