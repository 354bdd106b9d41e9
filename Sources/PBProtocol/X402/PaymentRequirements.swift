import PBCore

/// One way to pay for a resource: an entry of `PaymentRequired.accepts` (x402 v2).
///
/// `scheme` is a plain string, not an enum, so that a client that only implements `exact` still decodes a 402
/// offering schemes it has never heard of and simply skips them.
public struct PaymentRequirements: Codable, Hashable, Sendable {
    public var scheme: String
    public var network: Network
    /// Token contract (EVM) or mint (Solana) identifier.
    public var asset: String
    /// Atomic units of `asset` as a decimal string: token amounts exceed 64 bits.
    public var amount: String
    public var payTo: String
    public var maxTimeoutSeconds: Int
    /// Scheme-specific data, e.g. the EIP-712 domain `name` and `version` for `exact` on EVM. The Python model
    /// defaults this to `{}` and always serialises it, so a missing `extra` decodes as an empty object.
    public var extra: JSONValue

    public init(
        scheme: String, network: Network, asset: String, amount: String, payTo: String, maxTimeoutSeconds: Int,
        extra: JSONValue = .object([])
    ) {
        self.scheme = scheme
        self.network = network
        self.asset = asset
        self.amount = amount
        self.payTo = payTo
        self.maxTimeoutSeconds = maxTimeoutSeconds
        self.extra = extra
    }

    private enum CodingKeys: String, CodingKey {
        case scheme, network, asset, amount, payTo, maxTimeoutSeconds, extra
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        scheme = try container.decode(String.self, forKey: .scheme)
        network = try container.decode(Network.self, forKey: .network)
        asset = try container.decode(String.self, forKey: .asset)
        amount = try container.decode(String.self, forKey: .amount)
        payTo = try container.decode(String.self, forKey: .payTo)
        maxTimeoutSeconds = try container.decode(Int.self, forKey: .maxTimeoutSeconds)
        extra = try container.decodeIfPresent(JSONValue.self, forKey: .extra) ?? .object([])
    }
}

extension PaymentRequirements: X402JSONDecodable, X402JSONEncodable {
    public init(json: JSONValue, path: String = "") throws(PaymentHeaderError) {
        let reader = try X402ObjectReader(json, path: path)
        self.init(
            scheme: try reader.string("scheme"), network: Network(rawValue: try reader.string("network")),
            asset: try reader.string("asset"), amount: try reader.string("amount"), payTo: try reader.string("payTo"),
            maxTimeoutSeconds: try reader.integer("maxTimeoutSeconds"),
            extra: reader.optionalValue("extra") ?? .object([]))
    }

    public var jsonValue: JSONValue {
        .object([
            ("scheme", .string(scheme)), ("network", .string(network.rawValue)), ("asset", .string(asset)),
            ("amount", .string(amount)), ("payTo", .string(payTo)),
            ("maxTimeoutSeconds", .number(String(maxTimeoutSeconds))), ("extra", extra),
        ])
    }
}
