import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import PBProtocol

/// A Hummingbird server running in a task, with the port it bound (for demos that start servers in-process).
struct ServerTask: Sendable {
    let port: Int
    let task: Task<Void, any Error>

    static func start<Responder: HTTPResponder>(responder: Responder, port: Int, logger: Logger) async throws -> ServerTask
    where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let task = Task { try await application.runService() }
        for await bound in stream { return ServerTask(port: bound, task: task) }
        try await task.value
        throw CommandFailure("the server on port \(port) did not start")
    }

    static func start(router: Router<BasicRequestContext>, port: Int, logger: Logger) async throws -> ServerTask {
        try await start(responder: router.buildResponder(), port: port, logger: logger)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func wait() async throws { try await task.value }
}

/// Plain HTTP for the demo's unpaid request.
enum DemoHTTP {
    static func post(_ url: String, body: String) async throws -> (status: Int, paymentRequired: String?) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.first(name: PaymentHeaderCodec.paymentRequiredHeader))
    }

    /// A JSON request without payment; the status and the body.
    static func send(_ method: String, _ url: String, body: String) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: collected))
    }
}
