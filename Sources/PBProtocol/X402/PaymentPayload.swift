import PBCore

/// The client's payment, sent base64-encoded in the `PAYMENT-SIGNATURE` header (x402 v2).
public struct PaymentPayload: Codable, Hashable, Sendable, X402VersionedMessage {
    public static let supportedX402Versions: Set<Int> = [2]

    public var x402Version: Int
    public var resource: ResourceInfo?
    /// The `accepts` entry the client chose, echoed in full so the server can match it.
    public var accepted: PaymentRequirements
    /// Scheme-specific proof, e.g. `{signature, authorization}` for `exact` on EVM. Always a JSON object.
    public var payload: JSONValue
    public var extensions: JSONValue?

    public init(
        x402Version: Int = 2, resource: ResourceInfo? = nil, accepted: PaymentRequirements, payload: JSONValue,
        extensions: JSONValue? = nil
    ) {
        self.x402Version = x402Version
        self.resource = resource
        self.accepted = accepted
        self.payload = payload
        self.extensions = extensions
    }

    public var scheme: String { accepted.scheme }
    public var network: Network { accepted.network }
}
