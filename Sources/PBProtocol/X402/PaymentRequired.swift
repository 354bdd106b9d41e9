import PBCore

/// The x402 v2 answer to an unpaid request, sent base64-encoded in the `PAYMENT-REQUIRED` header of a 402.
public struct PaymentRequired: Codable, Hashable, Sendable, X402VersionedMessage {
    public static let supportedX402Versions: Set<Int> = [2]

    public var x402Version: Int
    /// Human-readable reason the payment is (still) required, e.g. after a failed verification.
    public var error: String?
    /// Optional in the Python model although servers always send it.
    public var resource: ResourceInfo?
    /// Every way the server accepts payment, in its order of preference.
    public var accepts: [PaymentRequirements]
    /// Extension data keyed by extension name (e.g. `bazaar`); clients echo it in their payload.
    public var extensions: JSONValue?

    public init(
        x402Version: Int = 2, error: String? = nil, resource: ResourceInfo? = nil, accepts: [PaymentRequirements],
        extensions: JSONValue? = nil
    ) {
        self.x402Version = x402Version
        self.error = error
        self.resource = resource
        self.accepts = accepts
        self.extensions = extensions
    }

    /// The entries whose scheme the caller implements; unknown schemes are kept on the wire but skipped here.
    public func accepts(schemes: Set<String>) -> [PaymentRequirements] {
        accepts.filter { schemes.contains($0.scheme) }
    }
}
