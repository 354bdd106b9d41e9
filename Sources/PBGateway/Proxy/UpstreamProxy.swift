import AsyncHTTPClient
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Forwards a request to a service's upstream and streams the answer back, in both directions without holding a
/// whole body in memory. It only reports what happened; charging and voiding are the caller's business.
public struct UpstreamProxy: Sendable {
    public let httpClient: HTTPClient
    public let timeoutSeconds: Int
    public let maxRequestBodyBytes: Int

    public init(httpClient: HTTPClient, timeoutSeconds: Int, maxRequestBodyBytes: Int) {
        self.httpClient = httpClient
        self.timeoutSeconds = timeoutSeconds
        self.maxRequestBodyBytes = maxRequestBodyBytes
    }

    public init(httpClient: HTTPClient, configuration: GatewayConfiguration) {
        self.init(
            httpClient: httpClient, timeoutSeconds: configuration.upstreamTimeoutSeconds,
            maxRequestBodyBytes: configuration.maxRequestBodyBytes)
    }

    /// The HTTP client's own default is 8 connections per host: a gateway with more than 8 paid calls in flight
    /// would queue them behind one another (the wait counts against the timeout, and a timeout voids the charge).
    public static let defaultMaxConnectionsPerHost = 128

    /// A client set up for proxying: redirects and compressed bodies pass through untouched, and a refused connection
    /// fails at once instead of being retried until the timeout, so the caller can void quickly.
    public static func makeHTTPClient(
        timeoutSeconds: Int, maxConnectionsPerHost: Int = defaultMaxConnectionsPerHost
    ) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            // The read timeout bounds silence while the body streams, after the head deadline is over.
            timeout: .init(connect: .seconds(Int64(min(timeoutSeconds, 10))), read: .seconds(Int64(timeoutSeconds))),
            decompression: .disabled
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(maxConnectionsPerHost, 1)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Declared request bodies up to this size are read before forwarding, so that a retry can send them again.
    public static let replayableBodyLimitBytes = 64 * 1_024

    /// A 5xx from the upstream means the service was not delivered.
    public static func isUpstreamFailure(status: HTTPResponse.Status) -> Bool { status.kind == .serverError }

    /// Forwards `request` to `upstreamURL` + the request's path and query exactly as sent.
    /// - Parameter clientAddress: the peer's IP address, appended to `X-Forwarded-For`.
    public func forward(
        _ request: Request, to upstreamURL: String, clientAddress: String?, logger: Logger
    ) async -> UpstreamResult {
        let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
        if let declaredLength, declaredLength > maxRequestBodyBytes {
            return .requestTooLarge(limitBytes: maxRequestBodyBytes)
        }

        var base = Substring(upstreamURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        var upstreamRequest = HTTPClientRequest(url: String(base) + (request.head.path ?? "/"))
        upstreamRequest.method = HTTPMethod(rawValue: request.method.rawValue)
        upstreamRequest.headers = ProxyHeaders.upstreamRequestHeaders(
            from: request.headers, clientAddress: clientAddress, scheme: request.head.scheme ?? "http",
            host: request.head.authority)

        // No Content-Length and no Transfer-Encoding means no body (RFC 9112 section 6.3); sending an empty chunked
        // body on a GET would confuse some upstreams.
        // The HTTP client sends a request again on a fresh connection when a pooled one turns out closed, and asks
        // the body for a new iterator then. A small declared body is read first so that such a retry can resend it;
        // a larger or chunked one streams, once (`OneShotRequestBody`): its retry fails as an upstream error.
        var upload: OneShotRequestBody?
        if let declaredLength, declaredLength <= Self.replayableBodyLimitBytes {
            do {
                upstreamRequest.body = .bytes(try await request.body.collect(upTo: declaredLength))
            } catch {
                // The client broke off its upload (the parser holds it to its Content-Length): nothing is forwarded,
                // and as with any undelivered call the payment is voided.
                return .failed(UpstreamFailure(kind: .invalidResponse, message: "the request body could not be read: \(error)"))
            }
        } else if declaredLength != nil || request.headers[.transferEncoding] != nil {
            let stream = OneShotRequestBody(base: request.body, limitBytes: maxRequestBodyBytes)
            upstreamRequest.body = .stream(stream, length: declaredLength.map { .known(Int64($0)) } ?? .unknown)
            upload = stream
        }

        let upstreamResponse: HTTPClientResponse
        do {
            upstreamResponse = try await httpClient.execute(
                upstreamRequest, timeout: .seconds(Int64(timeoutSeconds)), logger: logger)
        } catch {
            await upload?.close()
            // Our own bound, thrown from the upload stream, arrives here unwrapped.
            if error is RequestBodyTooLargeError { return .requestTooLarge(limitBytes: maxRequestBodyBytes) }
            let failure = Self.classify(error)
            logger.warning("upstream request failed", metadata: ["kind": "\(failure.kind)", "error": "\(error)"])
            return .failed(failure)
        }

        let status = HTTPResponse.Status(code: Int(upstreamResponse.status.code))
        let response = Response(
            status: status,
            headers: ProxyHeaders.clientResponseHeaders(from: upstreamResponse.headers),
            body: Self.responseBody(upstreamResponse.body, closing: upload)
        )
        return .response(response, status: status)
    }

    /// Forwards with the client address and logger of a request context that knows the peer.
    public func forward<Context: RemoteAddressRequestContext>(
        _ request: Request, to upstreamURL: String, context: Context
    ) async -> UpstreamResult {
        await forward(
            request, to: upstreamURL, clientAddress: context.remoteAddress?.ipAddress, logger: context.logger)
    }

    /// The upstream's body, streamed to the client; the upload is closed before the response ends, because the
    /// server reads the connection's next request as soon as the response is written.
    static func responseBody(_ body: HTTPClientResponse.Body, closing upload: OneShotRequestBody?) -> ResponseBody {
        guard let upload else { return ResponseBody(asyncSequence: body) }
        return ResponseBody { writer in
            do {
                try await writer.write(body)
            } catch {
                await upload.close()
                throw error
            }
            await upload.close()
            try await writer.finish(nil)
        }
    }

    static func classify(_ error: any Error) -> UpstreamFailure {
        let message = String(describing: error)
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .writeTimeout:
                return UpstreamFailure(kind: .timeout, message: message)
            default:
                return UpstreamFailure(kind: .invalidResponse, message: message)
            }
        }
        if error is NIOConnectionError || (error as? IOError)?.errnoCode == ECONNREFUSED {
            return UpstreamFailure(kind: .connectionRefused, message: message)
        }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return UpstreamFailure(kind: .timeout, message: message)
        }
        return UpstreamFailure(kind: .invalidResponse, message: message)
    }
}
