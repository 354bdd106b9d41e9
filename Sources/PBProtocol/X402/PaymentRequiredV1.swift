import PBCore

// x402 v1, still met in the wild: the 402 carries `PaymentRequiredV1` as its JSON body, the client pays with
// `X-PAYMENT`, and networks are legacy names such as `base-sepolia` (see `Network.fromV1Name`).

/// One way to pay in v1. Unlike v2 the resource is described per entry and the amount is a maximum.
public struct PaymentRequirementsV1: Codable, Hashable, Sendable {
    public var scheme: String
    public var network: Network
    /// Atomic units as a decimal string.
    public var maxAmountRequired: String
    /// The resource URL.
    public var resource: String
    public var description: String?
    public var mimeType: String?
    public var payTo: String
    public var maxTimeoutSeconds: Int
    public var asset: String
    public var outputSchema: JSONValue?
    public var extra: JSONValue?

    public init(
        scheme: String, network: Network, maxAmountRequired: String, resource: String, description: String? = nil,
        mimeType: String? = nil, payTo: String, maxTimeoutSeconds: Int, asset: String, outputSchema: JSONValue? = nil,
        extra: JSONValue? = nil
    ) {
        self.scheme = scheme
        self.network = network
        self.maxAmountRequired = maxAmountRequired
        self.resource = resource
        self.description = description
        self.mimeType = mimeType
        self.payTo = payTo
        self.maxTimeoutSeconds = maxTimeoutSeconds
        self.asset = asset
        self.outputSchema = outputSchema
        self.extra = extra
    }
}

/// The v1 402 body: `{x402Version: 1, error, accepts}`.
public struct PaymentRequiredV1: Codable, Hashable, Sendable, X402VersionedMessage {
    public static let supportedX402Versions: Set<Int> = [1]

    public var x402Version: Int
    public var error: String?
    public var accepts: [PaymentRequirementsV1]

    public init(x402Version: Int = 1, error: String? = nil, accepts: [PaymentRequirementsV1]) {
        self.x402Version = x402Version
        self.error = error
        self.accepts = accepts
    }
}

/// The v1 `X-PAYMENT` payload: scheme and network sit at the top level instead of in `accepted`.
public struct PaymentPayloadV1: Codable, Hashable, Sendable, X402VersionedMessage {
    public static let supportedX402Versions: Set<Int> = [1]

    public var x402Version: Int
    public var scheme: String
    public var network: Network
    public var payload: JSONValue

    public init(x402Version: Int = 1, scheme: String, network: Network, payload: JSONValue) {
        self.x402Version = x402Version
        self.scheme = scheme
        self.network = network
        self.payload = payload
    }
}

/// The v1 `GET /supported` answer: kinds only, no extensions or signers.
public struct SupportedResponseV1: Codable, Hashable, Sendable {
    public var kinds: [SupportedKind]

    public init(kinds: [SupportedKind]) { self.kinds = kinds }
}
