import Hummingbird

/// Why the upstream produced no usable response. The caller voids the payment for these.
public struct UpstreamFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Nothing accepted the connection (refused, unreachable, name not resolved).
        case connectionRefused
        /// No response head within the configured time.
        case timeout
        /// The upstream answered with something that is not a usable HTTP response, or broke off.
        case invalidResponse
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "upstream \(kind.rawValue): \(message)" }

    /// What the gateway answers the client when the upstream failed.
    public var gatewayStatus: HTTPResponse.Status { kind == .timeout ? .gatewayTimeout : .badGateway }
}

/// The outcome of forwarding one request. The proxy reports; the caller decides whether to charge or void.
public enum UpstreamResult: Sendable {
    /// The upstream answered; the body streams from the upstream as the response is written.
    case response(Response, status: HTTPResponse.Status)
    case failed(UpstreamFailure)
    /// The client's body exceeded the configured bound; nothing useful reached the upstream.
    case requestTooLarge(limitBytes: Int)

    /// True for failures and 5xx answers: the service was not delivered.
    public var isUpstreamFailure: Bool {
        switch self {
        case .response(_, let status): UpstreamProxy.isUpstreamFailure(status: status)
        case .failed: true
        case .requestTooLarge: false
        }
    }

    /// The response to send to the client: the upstream's, or a gateway error (413, 502, 504).
    public var clientResponse: Response {
        switch self {
        case .response(let response, _):
            return response
        case .failed(let failure):
            return Response(status: failure.gatewayStatus)
        case .requestTooLarge:
            return Response(status: .contentTooLarge)
        }
    }
}
