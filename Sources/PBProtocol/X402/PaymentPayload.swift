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

extension PaymentPayload: X402JSONDecodable, X402JSONEncodable {
    public init(json: JSONValue, path: String = "") throws(PaymentHeaderError) {
        let reader = try X402ObjectReader(json, path: path)
        self.init(
            x402Version: try reader.integer("x402Version"),
            resource: try reader.optionalObject("resource", as: ResourceInfo.self),
            accepted: try reader.object("accepted", as: PaymentRequirements.self),
            payload: try reader.value("payload"),
            extensions: reader.optionalValue("extensions"))
    }

    public var jsonValue: JSONValue {
        var writer = X402ObjectWriter()
        writer.add("x402Version", .number(String(x402Version)))
        writer.add("resource", resource?.jsonValue)
        writer.add("accepted", accepted.jsonValue)
        writer.add("payload", payload)
        writer.add("extensions", extensions)
        return writer.object
    }
}
