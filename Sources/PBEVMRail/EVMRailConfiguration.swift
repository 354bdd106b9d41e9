import Foundation
import PBCore
import PBCrypto

/// A configuration value that cannot work, naming its field (`evm.rpcUrl`) so the operator knows what to fix.
public struct EVMRailConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// The `evm:` section of `pb.yaml`: which chain, node, contract and token the EVM rail settles on, and with which
/// key. Any EVM chain (a local pb_devchain, Base, ZetaChain's EVM) is a matter of these values.
///
/// It holds the key FILE's path, never the key: the key is read by `loadSigner()` with `KeyFile.read`, which refuses
/// a file that group or others can read. `description` shows the node's scheme and host only, since hosted RPC URLs
/// often carry an API key in their path or query.
public struct EVMRailConfiguration: Sendable, Hashable, CustomStringConvertible {
    public static let section = "evm"

    public var chainId: UInt64
    public var rpcURL: String
    /// The SessionKeyValidator deployment.
    public var contract: EthereumAddress
    /// The ERC-20 the grants are in (the contract settles any asset; the rail checks claims are in this one).
    public var token: EthereumAddress
    public var signerKeyFile: String
    /// Blocks a settlement must be deep before it counts as final (1: mined).
    public var confirmations: UInt64 = 1
    /// The most gas one settlement transaction may use; a batch estimated above it is refused, not sent.
    public var maximumGasPerSettlement: UInt64 = 8_000_000
    /// The most the rail will pay per gas, in wei (decimal string in the file); above it nothing is sent.
    public var maximumFeePerGasWei: UInt128 = 500_000_000_000
    /// The most tip per gas, in wei.
    public var maximumPriorityFeePerGasWei: UInt128 = 5_000_000_000
    public var rpcTimeoutSeconds: Int64 = 10
    public var receiptPollIntervalMilliseconds: Int64 = 1_000

    public init(
        chainId: UInt64, rpcURL: String, contract: EthereumAddress, token: EthereumAddress, signerKeyFile: String
    ) {
        self.chainId = chainId
        self.rpcURL = rpcURL
        self.contract = contract
        self.token = token
        self.signerKeyFile = signerKeyFile
    }

    /// Reads the section from its string values (as YAML gives them): every field is checked and named in errors.
    /// Required: chainId, rpcUrl, contract, token, signerKeyFile.
    public init(fields: [String: String]) throws(EVMRailConfigurationError) {
        let known: Set<String> = [
            "chainId", "rpcUrl", "contract", "token", "signerKeyFile", "confirmations", "maxGasPerSettlement",
            "maxFeePerGasWei", "maxPriorityFeePerGasWei", "rpcTimeoutSeconds", "receiptPollIntervalMilliseconds",
        ]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw EVMRailConfigurationError(field: Self.field(unknown), "unknown key")
        }
        func required(_ key: String) throws(EVMRailConfigurationError) -> String {
            guard let value = fields[key], !value.isEmpty else {
                throw EVMRailConfigurationError(field: Self.field(key), "is required")
            }
            return value
        }
        self.init(
            chainId: try Self.integer(try required("chainId"), key: "chainId", in: 1...UInt64.max),
            rpcURL: try required("rpcUrl"), contract: try Self.address(try required("contract"), key: "contract"),
            token: try Self.address(try required("token"), key: "token"), signerKeyFile: try required("signerKeyFile"))
        if let text = fields["confirmations"] { confirmations = try Self.integer(text, key: "confirmations", in: 1...64) }
        if let text = fields["maxGasPerSettlement"] {
            maximumGasPerSettlement = try Self.integer(text, key: "maxGasPerSettlement", in: 21_000...60_000_000)
        }
        if let text = fields["maxFeePerGasWei"] { maximumFeePerGasWei = try Self.wei(text, key: "maxFeePerGasWei") }
        if let text = fields["maxPriorityFeePerGasWei"] {
            maximumPriorityFeePerGasWei = try Self.wei(text, key: "maxPriorityFeePerGasWei")
        }
        if let text = fields["rpcTimeoutSeconds"] {
            rpcTimeoutSeconds = Int64(try Self.integer(text, key: "rpcTimeoutSeconds", in: 1...600))
        }
        if let text = fields["receiptPollIntervalMilliseconds"] {
            receiptPollIntervalMilliseconds = Int64(try Self.integer(text, key: "receiptPollIntervalMilliseconds", in: 10...60_000))
        }
        try validate()
    }

    /// The checks that span values set in code as well as from a file.
    public func validate() throws(EVMRailConfigurationError) {
        guard chainId > 0 else { throw EVMRailConfigurationError(field: Self.field("chainId"), "must be positive") }
        guard let url = URL(string: rpcURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false
        else {
            throw EVMRailConfigurationError(field: Self.field("rpcUrl"), "must be an http(s) URL with a host")
        }
        guard contract != .zero else { throw EVMRailConfigurationError(field: Self.field("contract"), "is the zero address") }
        guard token != .zero else { throw EVMRailConfigurationError(field: Self.field("token"), "is the zero address") }
        guard !signerKeyFile.isEmpty else {
            throw EVMRailConfigurationError(field: Self.field("signerKeyFile"), "is required")
        }
        guard (1...64).contains(confirmations) else {
            throw EVMRailConfigurationError(field: Self.field("confirmations"), "must be in 1...64")
        }
        guard maximumPriorityFeePerGasWei <= maximumFeePerGasWei else {
            throw EVMRailConfigurationError(
                field: Self.field("maxPriorityFeePerGasWei"), "must not exceed maxFeePerGasWei (\(maximumFeePerGasWei))")
        }
    }

    /// The settlement key, read from `signerKeyFile` (refused when group or others can read the file).
    public func loadSigner() throws(EVMRailConfigurationError) -> PrivateKey {
        do { return try KeyFile.read(from: signerKeyFile) } catch {
            throw EVMRailConfigurationError(field: Self.field("signerKeyFile"), error.description)
        }
    }

    public var description: String {
        let node = URL(string: rpcURL).map { "\($0.scheme ?? "?")://\($0.host ?? "?")\($0.port.map { ":\($0)" } ?? "")" }
        return "evm(chainId: \(chainId), rpc: \(node ?? "?"), contract: \(contract), token: \(token), "
            + "signerKeyFile: \(signerKeyFile), confirmations: \(confirmations), maxGasPerSettlement: "
            + "\(maximumGasPerSettlement), maxFeePerGasWei: \(maximumFeePerGasWei), maxPriorityFeePerGasWei: "
            + "\(maximumPriorityFeePerGasWei))"
    }

    static func field(_ key: String) -> String { "\(section).\(key)" }

    private static func integer(_ text: String, key: String, in range: ClosedRange<UInt64>) throws(EVMRailConfigurationError)
        -> UInt64
    {
        guard let value = UInt64(text), range.contains(value) else {
            throw EVMRailConfigurationError(field: field(key), "'\(text.prefix(40))' is not an integer in \(range)")
        }
        return value
    }

    private static func wei(_ text: String, key: String) throws(EVMRailConfigurationError) -> UInt128 {
        guard let value = UInt128(text), value > 0 else {
            throw EVMRailConfigurationError(field: field(key), "'\(text.prefix(40))' is not a positive whole number of wei")
        }
        return value
    }

    private static func address(_ text: String, key: String) throws(EVMRailConfigurationError) -> EthereumAddress {
        do { return try EthereumAddress(text) } catch {
            throw EVMRailConfigurationError(field: field(key), "'\(text.prefix(60))' is not an address: \(error)")
        }
    }
}
