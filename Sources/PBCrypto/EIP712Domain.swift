import PBCore

/// An EIP-712 domain with its separator computed once at construction.
///
/// Only the fields that are set enter the `EIP712Domain` type, in the EIP's order
/// (name, version, chainId, verifyingContract, salt), which is also what eth-account and wallets derive.
public struct EIP712Domain: Sendable, Hashable {
    public static let typeName = "EIP712Domain"

    /// Every field a domain may have, in the EIP's order, with its type.
    public static let standardFields: [EIP712Field] = [
        EIP712Field(name: "name", type: "string"),
        EIP712Field(name: "version", type: "string"),
        EIP712Field(name: "chainId", type: "uint256"),
        EIP712Field(name: "verifyingContract", type: "address"),
        EIP712Field(name: "salt", type: "bytes32"),
    ]

    public let name: String?
    public let version: String?
    public let chainId: UInt64?
    public let verifyingContract: EthereumAddress?
    public let salt: [UInt8]?
    /// `hashStruct(EIP712Domain, domain)`.
    public let separator: [UInt8]

    /// - Precondition: `salt`, when given, has 32 bytes.
    public init(
        name: String? = nil, version: String? = nil, chainId: UInt64? = nil,
        verifyingContract: EthereumAddress? = nil, salt: [UInt8]? = nil
    ) {
        precondition(salt == nil || salt?.count == 32, "an EIP-712 domain salt has 32 bytes")
        self.name = name
        self.version = version
        self.chainId = chainId
        self.verifyingContract = verifyingContract
        self.salt = salt
        let present = [name != nil, version != nil, chainId != nil, verifyingContract != nil, salt != nil]
        let fields = zip(Self.standardFields, present).filter(\.1).map(\.0)
        let encodedType = Self.typeName + "(" + fields.map { "\($0.type) \($0.name)" }.joined(separator: ",") + ")"
        var encoder = EIP712StructEncoder(typeHash: Keccak256.hash(Array(encodedType.utf8)), fieldCount: fields.count)
        if let name { encoder.appendString(name) }
        if let version { encoder.appendString(version) }
        if let chainId { encoder.appendUInt(chainId) }
        if let verifyingContract { encoder.appendAddress(verifyingContract) }
        if let salt { encoder.appendBytes32(salt) }
        separator = encoder.finalize()
    }

    /// The fields present in this domain, in the EIP's order.
    public var fields: [EIP712Field] {
        let present: Set<String> = Set(jsonValue.objectMembers?.map(\.key) ?? [])
        return Self.standardFields.filter { present.contains($0.name) }
    }

    /// The `domain` object of the JSON form. `chainId` is a JSON number (wallets compare it to the chain they are on).
    public var jsonValue: JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let name { members.append(("name", .string(name))) }
        if let version { members.append(("version", .string(version))) }
        if let chainId { members.append(("chainId", .number(String(chainId)))) }
        if let verifyingContract { members.append(("verifyingContract", .string(verifyingContract.checksummed))) }
        if let salt { members.append(("salt", .string(Hex.encode(salt)))) }
        return .object(members)
    }
}
