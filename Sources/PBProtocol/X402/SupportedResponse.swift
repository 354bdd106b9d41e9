import PBCore

/// One payment configuration a facilitator handles.
public struct SupportedKind: Codable, Hashable, Sendable {
    public var x402Version: Int
    public var scheme: String
    /// CAIP-2 in v2 kinds, a legacy name such as `base-sepolia` in v1 kinds.
    public var network: Network
    public var extra: JSONValue?

    public init(x402Version: Int, scheme: String, network: Network, extra: JSONValue? = nil) {
        self.x402Version = x402Version
        self.scheme = scheme
        self.network = network
        self.extra = extra
    }
}

/// The facilitator's answer to `GET /supported`.
///
/// `extensions` and `signers` default to empty and are always serialised, as in the Python model.
public struct SupportedResponse: Codable, Hashable, Sendable {
    public var kinds: [SupportedKind]
    public var extensions: [String]
    /// Signer addresses keyed by CAIP-2 family pattern, e.g. `"eip155:*"`.
    public var signers: [String: [String]]

    public init(kinds: [SupportedKind], extensions: [String] = [], signers: [String: [String]] = [:]) {
        self.kinds = kinds
        self.extensions = extensions
        self.signers = signers
    }

    private enum CodingKeys: String, CodingKey { case kinds, extensions, signers }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kinds = try container.decode([SupportedKind].self, forKey: .kinds)
        extensions = try container.decodeIfPresent([String].self, forKey: .extensions) ?? []
        signers = try container.decodeIfPresent([String: [String]].self, forKey: .signers) ?? [:]
    }
}
