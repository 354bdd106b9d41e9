/// A blockchain network as x402 names it: CAIP-2 (`eip155:8453`) in v2, a legacy name (`base-sepolia`) in v1.
///
/// Decoding keeps whatever string arrives, without validation, as the Python package does (its `Network` is a
/// plain `str`): a client must not reject a whole 402 because one `accepts` entry names a chain it cannot parse.
/// Validate where it matters with `init(caip2:)` or `isCAIP2`.
public struct Network: X402StringValue {
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Parses a CAIP-2 chain id, `namespace:reference`, with namespace `[-a-z0-9]{3,8}` and reference
    /// `[-_a-zA-Z0-9]{1,32}` (CAIP-2 grammar). The wildcard `eip155:*` is a pattern, not a network: rejected.
    public init(caip2 string: String) throws(ParseError) {
        guard Self.parseCAIP2(string) != nil else {
            throw ParseError(message: "not a CAIP-2 network id: \(string.prefix(80))")
        }
        self.rawValue = string
    }

    /// An EVM chain: `eip155:<chainID>`.
    public static func eip155(chainID: UInt64) -> Network { Network(rawValue: "eip155:\(chainID)") }

    public var isCAIP2: Bool { Self.parseCAIP2(rawValue) != nil }
    /// `eip155` for `eip155:8453`; nil unless CAIP-2.
    public var namespace: String? { Self.parseCAIP2(rawValue)?.namespace }
    /// `8453` for `eip155:8453`; nil unless CAIP-2.
    public var reference: String? { Self.parseCAIP2(rawValue)?.reference }

    /// The EVM chain id of an `eip155:` network, or nil.
    public var evmChainID: UInt64? {
        guard let parts = Self.parseCAIP2(rawValue), parts.namespace == "eip155" else { return nil }
        return UInt64(parts.reference)
    }

    /// Whether this network matches `pattern`: equal, or the pattern is a family wildcard such as `eip155:*`.
    public func matches(pattern: String) -> Bool {
        if pattern.hasSuffix(":*") { return rawValue.hasPrefix(pattern.dropLast()) }
        return pattern == rawValue
    }

    private static func parseCAIP2(_ string: String) -> (namespace: String, reference: String)? {
        let parts = string.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let namespace = parts[0].utf8, reference = parts[1].utf8
        guard (3...8).contains(namespace.count), (1...32).contains(reference.count),
            namespace.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }),
            reference.allSatisfy({
                isLowerAlphanumeric($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            })
        else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

// MARK: - v1 legacy names

extension Network {
    /// v1 name -> CAIP-2, copied (as data) from the Python package 2.25.0: `V1_NETWORK_CHAIN_IDS` in
    /// `mechanisms/evm/v1/constants.py` and `V1_TO_V2_NETWORK_MAP` in `mechanisms/svm/constants.py`.
    public static let v1NameToCAIP2: [String: Network] = {
        let evmChainIDs: [String: UInt64] = [
            "base": 8453, "base-sepolia": 84532, "ethereum": 1, "polygon": 137, "polygon-amoy": 80002,
            "avalanche": 43114, "avalanche-fuji": 43113, "abstract": 2741, "abstract-testnet": 11124,
            "iotex": 4689, "sei": 1329, "sei-testnet": 1328, "peaq": 3338, "story": 1513, "educhain": 656476,
            "skale-base-sepolia": 1_444_673_419, "megaeth": 4326, "monad": 143, "monad-testnet": 10143,
            "stable": 988, "stable-testnet": 2201, "celo": 42220, "flare": 14,
        ]
        var table = evmChainIDs.mapValues { Network.eip155(chainID: $0) }
        table["solana"] = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
        table["solana-devnet"] = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"
        table["solana-testnet"] = "solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z"
        return table
    }()

    private static let caip2ToV1Name: [Network: String] = Dictionary(
        v1NameToCAIP2.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })

    /// The CAIP-2 network for a v1 name such as `base-sepolia`, or nil if the name is unknown.
    public static func fromV1Name(_ name: String) -> Network? { v1NameToCAIP2[name] }

    /// The v1 name of this CAIP-2 network, or nil if v1 had none.
    public var v1Name: String? { Self.caip2ToV1Name[self] }

    /// This network in CAIP-2 form: itself if already CAIP-2, the mapped id for a known v1 name, else nil.
    public var normalizedCAIP2: Network? { isCAIP2 ? self : Self.fromV1Name(rawValue) }
}
