import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import PBGateway

/// A request context that knows the peer, as the gateway's own context will.
struct ProxyTestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// FNV-1a over a byte stream: enough to tell a corrupted or truncated body from the original.
struct StreamChecksum: Equatable, CustomStringConvertible {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private(set) var byteCount = 0

    mutating func add(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        byteCount += buffer.readableBytes
    }

    var description: String { "\(value)/\(byteCount)" }
}

func checksum(of buffer: ByteBuffer) -> StreamChecksum {
    var checksum = StreamChecksum()
    checksum.add(buffer)
    return checksum
}

/// Deterministic, non-repeating-looking test bytes.
func testBytes(count: Int, seed: UInt8 = 7) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.reserveCapacity(count)
    var state = UInt32(seed)
    for _ in 0..<count {
        state = state &* 1_664_525 &+ 1_013_904_223
        buffer.writeInteger(UInt8(truncatingIfNeeded: state >> 24))
    }
    return buffer
}

/// Names the proxy's result in a response header so tests can see what the caller would have been told.
func outcomeName(_ result: UpstreamResult) -> String {
    switch result {
    case .response(_, let status): "response \(status.code)\(result.isUpstreamFailure ? " failure" : "")"
    case .failed(let failure): "failed \(failure.kind.rawValue)"
    case .requestTooLarge(let limit): "too large \(limit)"
    }
}

let outcomeHeader = HTTPField.Name("X-Proxy-Outcome")!

/// The upstream the tests proxy to.
func makeUpstreamRouter() -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/headers") { request, _ -> String in
        request.headers.map { "\($0.name.canonicalName): \($0.value)" }.joined(separator: "\n")
    }
    router.get("/target/**") { request, _ -> String in request.head.path ?? "" }
    router.post("/echo") { request, _ in Response(status: .ok, body: ResponseBody(asyncSequence: request.body)) }
    router.post("/digest") { request, _ -> String in
        var checksum = StreamChecksum()
        for try await buffer in request.body { checksum.add(buffer) }
        return checksum.description
    }
    router.get("/download") { _, _ in
        Response(
            status: .ok,
            body: ResponseBody { writer in
                // 1 MiB in 64 writes, so the proxy sees many chunks rather than one buffer.
                let whole = testBytes(count: 1 << 20)
                for index in 0..<64 {
                    try await writer.write(whole.getSlice(at: index * 16_384, length: 16_384)!)
                }
                try await writer.finish(nil)
            })
    }
    // Answers "together" once `count` requests of `group` are in at the same time ("alone" after 10 s): shows how
    // many requests the proxy keeps in flight to one upstream.
    let arrivals = BarrierArrivals()
    router.get("/barrier/:group/:count") { _, context -> String in
        let group = try context.parameters.require("group"), count = try context.parameters.require("count", as: Int.self)
        arrivals.arrive(group)
        for _ in 0..<200 {
            if arrivals.count(group) >= count { return "together" }
            try await Task.sleep(for: .milliseconds(50))
        }
        return "alone"
    }
    // Answers at once without reading the request body, so the answer can overtake the upload.
    router.post("/early") { _, _ -> String in "early" }
    router.get("/unavailable") { _, _ in
        Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "down")))
    }
    router.get("/sleep") { _, _ -> String in
        // Far longer than the 1 s timeout the timeout test sets, so a timely 504 cannot be confused with this.
        try await Task.sleep(for: .seconds(10))
        return "late"
    }
    router.get("/hop") { _, _ in
        Response(
            status: .ok,
            headers: [
                .connection: "X-Private", HTTPField.Name("X-Private")!: "1", HTTPField.Name("Keep-Alive")!: "timeout=5",
                HTTPField.Name("Proxy-Authenticate")!: "Basic", HTTPField.Name("X-Kept")!: "yes",
            ])
    }
    return router
}

/// Runs a live upstream on a free port, then a live gateway forwarding everything to it.
/// - Parameter upstreamPort: overrides the upstream's port (to point at a port where nothing listens).
func withProxyGateway(
    timeoutSeconds: Int = 30, maxRequestBodyBytes: Int = 4 << 20, upstreamPort: Int? = nil,
    _ test: @escaping @Sendable (any TestClientProtocol, Int) async throws -> Void
) async throws {
    let upstream = Application(router: makeUpstreamRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await upstream.test(.live) { upstreamClient in
        let port = try #require(upstreamPort ?? upstreamClient.port)
        let httpClient = UpstreamProxy.makeHTTPClient(timeoutSeconds: timeoutSeconds)
        let proxy = UpstreamProxy(
            httpClient: httpClient, timeoutSeconds: timeoutSeconds, maxRequestBodyBytes: maxRequestBodyBytes)
        let responder = CallbackResponder { (request: Request, context: ProxyTestContext) in
            let result = await proxy.forward(request, to: "http://127.0.0.1:\(port)/", context: context)
            var response = result.clientResponse
            response.headers[outcomeHeader] = outcomeName(result)
            return response
        }
        let gateway = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        do {
            try await gateway.test(.live) { client in try await test(client, client.port ?? 0) }
        } catch {
            try await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }
}

/// Requests that reached the upstream's barrier, per group.
final class BarrierArrivals: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func arrive(_ group: String) { counts.withLock { $0[group, default: 0] += 1 } }

    func count(_ group: String) -> Int { counts.withLock { $0[group] ?? 0 } }
}
