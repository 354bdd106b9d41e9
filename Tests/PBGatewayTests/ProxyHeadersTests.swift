import HTTPTypes
import NIOHTTP1
import Testing

@testable import PBGateway

/// Header rules checked directly: the live test client always sends its own `Connection: keep-alive`, so headers
/// named in `Connection` can only be exercised here.
@Suite struct ProxyHeadersTests {
    @Test func requestDropsHeadersNamedInConnection() {
        let fields: HTTPFields = [
            .connection: "close, X-Connection-Only", HTTPField.Name("X-Connection-Only")!: "1",
            HTTPField.Name("Proxy-Anything")!: "x", .upgrade: "websocket", .transferEncoding: "chunked",
            HTTPField.Name("Host")!: "gateway.example", .contentLength: "12", HTTPField.Name("Payment-Signature")!: "voucher",
            HTTPField.Name("X-Forwarded-Proto")!: "https", HTTPField.Name("X-Kept")!: "yes", .expect: "100-continue",
        ]
        let headers = ProxyHeaders.upstreamRequestHeaders(
            from: fields, clientAddress: "192.0.2.1", scheme: "http", host: "gateway.example")
        let names = Set(headers.map { $0.name.lowercased() })
        #expect(names == ["x-kept", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"])
        #expect(headers["X-Forwarded-For"] == ["192.0.2.1"])
        // Our hop's protocol replaces whatever the client claimed.
        #expect(headers["X-Forwarded-Proto"] == ["http"])
        #expect(headers["X-Forwarded-Host"] == ["gateway.example"])
    }

    @Test func responseDropsHeadersNamedInConnection() {
        let headers = HTTPHeaders([
            ("Connection", "X-Private"), ("X-Private", "1"), ("Transfer-Encoding", "chunked"), ("Trailer", "X-Sum"),
            ("Content-Type", "text/plain"), ("Content-Length", "5"),
        ])
        let fields = ProxyHeaders.clientResponseHeaders(from: headers)
        #expect(Set(fields.map(\.name.canonicalName)) == ["content-type", "content-length"])
    }

    @Test func fiveHundredsAreFailures() {
        #expect(UpstreamProxy.isUpstreamFailure(status: .internalServerError))
        #expect(UpstreamProxy.isUpstreamFailure(status: .serviceUnavailable))
        #expect(!UpstreamProxy.isUpstreamFailure(status: .ok))
        #expect(!UpstreamProxy.isUpstreamFailure(status: .notFound))
        #expect(UpstreamResult.failed(UpstreamFailure(kind: .timeout, message: "")).clientResponse.status == .gatewayTimeout)
        #expect(!UpstreamResult.requestTooLarge(limitBytes: 1).isUpstreamFailure)
    }
}
