import PBCore
import PBCrypto

/// The EIP-712 domain of every pb-session signature (docs/PROTOCOL.md, section 3).
public enum PBSessionDomain {
    public static let name = "PB-Stream"
    public static let version = "1"

    /// `verifyingContract` is the escrow contract on `chainId`, or the zero address for the embedded ledger rail.
    public static func make(chainId: UInt64, verifyingContract: EthereumAddress = .zero) -> EIP712Domain {
        EIP712Domain(name: name, version: version, chainId: chainId, verifyingContract: verifyingContract)
    }

    /// Reads a `domain` object (chainId as a number or decimal string) and insists on PB's name, version and fields.
    public static func parse(_ value: JSONValue, path: String = "domain") throws(SessionMessageError) -> EIP712Domain {
        var reader = try MessageReader(value, path: path)
        let domainName = try reader.string("name")
        let domainVersion = try reader.string("version")
        let chainId: UInt64 = try reader.unsigned("chainId")
        let verifyingContract = try reader.address("verifyingContract")
        try reader.finish()
        guard domainName == name, domainVersion == version else {
            throw SessionMessageError(
                path: path, message: "must be the \(name) version \(version) domain, got \(domainName) \(domainVersion)")
        }
        return make(chainId: chainId, verifyingContract: verifyingContract)
    }

    /// The domain as the vectors and `pb` write it: chainId as a decimal string, like every protocol integer.
    public static func jsonValue(_ domain: EIP712Domain) -> JSONValue {
        .object([
            ("name", .string(domain.name ?? name)),
            ("version", .string(domain.version ?? version)),
            ("chainId", .decimal(domain.chainId ?? 0)),
            ("verifyingContract", .address(domain.verifyingContract ?? .zero)),
        ])
    }
}
