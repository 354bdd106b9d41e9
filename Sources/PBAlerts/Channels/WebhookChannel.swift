import AsyncHTTPClient
import NIOCore
import PBCore
import PBSentinel

/// POSTs the alert's JSON to a URL, signed with `WebhookSignature` (`PB-Signature: t=...,v1=...`). A 2xx answer is
/// a delivery; anything else, or no answer within `timeoutSeconds`, is a failed attempt.
public struct WebhookChannel: AlertChannel {
    public let name = "webhook"
    public let url: String
    let secret: [UInt8]
    public let minimumSeverity: Severity
    public let httpClient: HTTPClient
    public let clock: any WallClock
    public let timeoutSeconds: Int64

    public init(
        url: String, secret: String, minimumSeverity: Severity = .low, httpClient: HTTPClient,
        clock: any WallClock = SystemWallClock(), timeoutSeconds: Int64 = 10
    ) {
        self.url = url
        self.secret = Array(secret.utf8)
        self.minimumSeverity = minimumSeverity
        self.httpClient = httpClient
        self.clock = clock
        self.timeoutSeconds = timeoutSeconds
    }

    public func deliver(_ alert: Alert) async throws {
        let body = Array(alert.json.serialized().utf8)
        let status = try await Self.post(
            body: body, to: url, signature: WebhookSignature.sign(body: body, timestamp: clock.now.seconds, secret: secret),
            httpClient: httpClient, timeoutSeconds: timeoutSeconds)
        guard (200..<300).contains(status) else { throw AlertChannelError("HTTP \(status)") }
    }

    /// One signed POST of a JSON body; returns the status code. Shared with the metering events' webhook.
    public static func post(
        body: [UInt8], to url: String, signature: String, httpClient: HTTPClient, timeoutSeconds: Int64
    ) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: WebhookSignature.header, value: signature)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: .seconds(timeoutSeconds))
        _ = try await response.body.collect(upTo: 64 * 1024)
        return response.status.code
    }
}
