import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import PBClient
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBStore
import PBStoreSQLite
import Synchronization
import Testing

/// A real gateway on loopback in front of a real "chat" upstream, backed by SQLite, with an owner, an agent and a
/// merchant API key: the pieces every end-to-end test needs.
struct GatewayFixture: Sendable {
    static let price: UInt128 = 10_000  // 0.01 USDC
    static let usdc = try! EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")

    let owner = PrivateKey.random()
    let agent = PrivateKey.random()
    let gatewayKey = PrivateKey.random()
    let payee = PrivateKey.random().address
    let domain = PBSessionDomain.make(chainId: 8453)
    /// More routes for the chat service, e.g. the usage-priced ones of `PricingRoutes`.
    var extraRoutes: [RouteRecord] = []

    func service(upstreamPort: Int) -> ServiceRecord {
        ServiceRecord(
            id: "chat", name: "Chat", payee: payee, asset: Self.usdc, network: "eip155:8453",
            upstreamURL: "http://127.0.0.1:\(upstreamPort)", pathPrefix: "/",
            routes: [
                RouteRecord(method: "POST", path: "/v1/chat", priceBaseUnits: Self.price),
                RouteRecord(method: "GET", path: "/v1/fail", priceBaseUnits: Self.price),
                RouteRecord(method: "GET", path: "/v1/flaky", priceBaseUnits: Self.price),
                RouteRecord(method: "GET", path: "/v1/models", priceBaseUnits: nil),
            ] + extraRoutes)
    }

    /// A grant signed by `owner` for `agent`, valid from a day ago for 30 days unless told otherwise. A day, not a
    /// minute: tests that stop the gateway's clock read it before the gateway starts, and under the whole suite's
    /// load starting it took over a minute, so a grant made afterwards was "not yet valid" on the stopped clock.
    func grant(
        totalLimit: UInt128 = 50_000_000, perPaymentLimit: UInt128 = 0, services: [String] = ["chat"],
        payees: [EthereumAddress]? = nil, maxCallsPerMinute: UInt32 = 0, periodLimit: UInt128 = 0,
        periodSeconds: UInt64 = 0, validAfter: UInt64? = nil, validUntil: UInt64? = nil, signer: PrivateKey? = nil,
        domain: EIP712Domain? = nil
    ) -> SignedSessionGrant {
        let now = UInt64(SystemWallClock().now.seconds)
        let grant = SessionGrant(
            owner: owner.address, sessionKey: agent.address, asset: Self.usdc, payees: payees ?? [payee],
            services: services, totalLimit: totalLimit, perPaymentLimit: perPaymentLimit, periodLimit: periodLimit,
            periodSeconds: periodSeconds, maxCallsPerMinute: maxCallsPerMinute, validAfter: validAfter ?? now - 86_400,
            validUntil: validUntil ?? now + 30 * 86_400)
        return SignedSessionGrant.sign(grant, domain: domain ?? self.domain, with: signer ?? owner)
    }

    func client(_ grant: SignedSessionGrant, windows: Bool = true, stateFile: String? = nil) throws -> PBClient {
        var options = PBClient.Options()
        options.useCreditWindows = windows
        return try PBClient(sessionKey: agent, grant: grant, stateFile: stateFile, options: options)
    }
}

/// A running gateway: its address, its application (store, processor), a merchant API key and its clock.
struct RunningGateway: Sendable {
    let baseURL: String
    let application: GatewayApplication
    let adminSecret: String
    /// The gateway's "now" for expiries; tests that move time pass a `ManualWallClock` to `withGateway`.
    let clock: any WallClock
    var store: any GatewayStore { application.store }

    func url(_ path: String) -> String { baseURL + path }

    /// A raw request (no automatic payment), for refusal tests.
    func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: url(path))
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers, String(buffer: collected))
    }

    func admin(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws
        -> (status: Int, headers: HTTPHeaders, body: String)
    {
        try await send(method, path, headers: [("Authorization", "Bearer \(adminSecret)")] + headers, body: body)
    }
}

/// The upstream chat API: answers chats, can fail on request, counts what it served.
func makeChatUpstream() -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/v1/chat") { request, _ -> Response in
        let body = try await request.body.collect(upTo: 1 << 20)
        let reply = "{\"reply\":\"echo: \(body.readableBytes) bytes\"}"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: reply)))
    }
    router.get("/v1/fail") { _, _ in Response(status: .serviceUnavailable) }
    // Fails every other call: the first attempt of a payment fails upstream, its retry succeeds.
    let flakyCalls = FlakyCounter()
    router.get("/v1/flaky") { _, _ -> Response in
        flakyCalls.next() % 2 == 1 ? Response(status: .badGateway) : Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "recovered")))
    }
    router.get("/v1/models") { _, _ -> String in "[\"small\",\"large\"]" }
    // Usage-priced routes: answers with the `X-Test-Status` asked for (200 by default) and reports the usage the
    // test put in `X-Test-Usage` as `PB-Usage`, as a metered upstream would.
    for method in [HTTPRequest.Method.get, .post] {
        router.on("/v1/usage/**", method: method) { request, _ -> Response in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let usage = request.headers[HTTPField.Name("X-Test-Usage")!] { headers[HTTPField.Name("PB-Usage")!] = usage }
            let status = request.headers[HTTPField.Name("X-Test-Status")!].flatMap { Int($0) } ?? 200
            return Response(
                status: HTTPResponse.Status(code: status), headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: "{\"served\":\"\(request.uri.path)\"}")))
        }
    }
    return router
}

final class FlakyCounter: Sendable {
    private let count = Synchronization.Mutex(0)
    func next() -> Int { count.withLock { $0 += 1; return $0 } }
}

/// Starts the chat upstream and a gateway in front of it, on loopback ports, and runs `test`.
/// Sentinel's service runs beside it (storing events, saving its snapshot when the test ends); `sentinel` replaces
/// the default `sentinel:` section.
func withGateway(
    fixture: GatewayFixture, store: (any GatewayStore)? = nil, maxWindowCredit: String = "1",
    clock: any WallClock = SystemWallClock(), sentinel: SentinelConfiguration? = nil,
    configure: @escaping @Sendable (inout GatewayConfiguration) -> Void = { _ in },
    _ test: @escaping @Sendable (RunningGateway) async throws -> Void
) async throws {
    let upstream = Application(router: makeChatUpstream(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await upstream.test(.live) { upstreamClient in
        let upstreamPort = try #require(upstreamClient.port)
        var configuration = GatewayConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.maxWindowCredit = maxWindowCredit
        configuration.services = [fixture.service(upstreamPort: upstreamPort)]
        configuration.adminKey = "pbk_test_" + Hex.encode(Bytes32.random().bytes, prefix: false)
        if let sentinel { configuration.sentinel = sentinel }
        configure(&configuration)
        let gatewayStore = try store ?? SQLiteGatewayStore.inMemory()
        // Generous: the suite runs in parallel on a small shared machine, and no test here is about the timeout.
        let httpClient = UpstreamProxy.makeHTTPClient(timeoutSeconds: 30)
        let application = try GatewayApplication(
            configuration: configuration, store: gatewayStore, gatewayKey: fixture.gatewayKey, clock: clock,
            httpClient: httpClient)
        try await application.applyConfiguredServices()
        _ = try await GatewayKeys.bootstrapAdminKey(
            store: gatewayStore, configuredSecret: configuration.adminKey, at: SystemWallClock().now)
        let adminSecret = configuration.adminKey ?? ""
        let app = Application(
            responder: application.makeResponder(publicBaseURL: "http://127.0.0.1"),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let sentinelService = Task { try await application.sentinel.run() }
        do {
            try await app.test(.live) { client in
                let port = try #require(client.port)
                try await test(RunningGateway(
                    baseURL: "http://127.0.0.1:\(port)", application: application,
                    adminSecret: adminSecret, clock: clock))
            }
        } catch {
            application.sentinel.stop()
            _ = await sentinelService.result
            try await httpClient.shutdown()
            throw error
        }
        application.sentinel.stop()
        _ = await sentinelService.result
        try await httpClient.shutdown()
    }
}
