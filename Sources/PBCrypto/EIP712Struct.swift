import PBCore
import Synchronization

/// A Swift type that is an EIP-712 struct, hashed without going through JSON.
///
/// Conformers list their fields (in signing order) and the struct types those fields use, and implement
/// `eip712StructHash()` with an `EIP712StructEncoder`:
///
///     func eip712StructHash() -> [UInt8] {
///         var encoder = EIP712StructEncoder(for: Self.self)
///         encoder.appendAddress(payee)
///         encoder.appendUInt(amount)
///         return encoder.finalize()
///     }
///
/// `eip712Message()` gives the same value as a JSON message, so `TypedData(domain:message:)` can show a wallet
/// exactly what the fast path signs; a test per conformer should check the two digests agree.
public protocol EIP712Struct: Sendable {
    static var eip712TypeName: String { get }
    static var eip712Fields: [EIP712Field] { get }
    /// The struct types the fields mention directly; their own references are followed automatically.
    static var eip712ReferencedTypes: [any EIP712Struct.Type] { get }
    /// keccak256 of `encodeType`; the default computes it once per type and caches it.
    static var eip712TypeHash: [UInt8] { get }

    func eip712StructHash() -> [UInt8]
    func eip712Message() -> JSONValue
}

extension EIP712Struct {
    public static var eip712ReferencedTypes: [any EIP712Struct.Type] { [] }

    public static var eip712TypeHash: [UInt8] { EIP712TypeHashCache.typeHash(of: Self.self) }

    /// This type and every struct type it reaches, each once, this type first.
    public static var eip712TypeDefinitions: [EIP712TypeDefinition] {
        var definitions: [EIP712TypeDefinition] = []
        var pending: [any EIP712Struct.Type] = [Self.self]
        while let next = pending.popLast() {
            guard !definitions.contains(where: { $0.name == next.eip712TypeName }) else { continue }
            definitions.append(EIP712TypeDefinition(name: next.eip712TypeName, fields: next.eip712Fields))
            pending.append(contentsOf: next.eip712ReferencedTypes.reversed())
        }
        return definitions
    }

    /// `encodeType` for this type, e.g. `Mail(Person from,Person to,string contents)Person(string name,address wallet)`.
    public static var eip712EncodedType: String {
        let definitions = Dictionary(uniqueKeysWithValues: eip712TypeDefinitions.map { ($0.name, $0.fields) })
        return EIP712.encodeType(eip712TypeName, definitions: definitions)
    }
}

/// Computes each conforming type's type hash once; later lookups cost a lock and a dictionary probe.
public enum EIP712TypeHashCache {
    private static let hashes = Mutex<[ObjectIdentifier: [UInt8]]>([:])

    public static func typeHash<Value: EIP712Struct>(of type: Value.Type) -> [UInt8] {
        let key = ObjectIdentifier(type)
        if let cached = hashes.withLock({ $0[key] }) { return cached }
        // Hash outside the lock: two threads may both compute it once, which is harmless.
        let hash = Keccak256.hash(Array(Value.eip712EncodedType.utf8))
        hashes.withLock { $0[key] = hash }
        return hash
    }
}

public enum EIP712 {
    /// keccak256(0x19 0x01 ‖ domainSeparator ‖ structHash), the digest a wallet signs.
    public static func digest(domainSeparator: [UInt8], structHash: [UInt8]) -> [UInt8] {
        precondition(domainSeparator.count == 32 && structHash.count == 32, "EIP-712 hashes have 32 bytes")
        var preimage: [UInt8] = [0x19, 0x01]
        preimage.reserveCapacity(66)
        preimage.append(contentsOf: domainSeparator)
        preimage.append(contentsOf: structHash)
        return Keccak256.hash(preimage)
    }

    /// The fast path: the domain's cached separator and the struct's own hash.
    public static func digest(domain: EIP712Domain, message: some EIP712Struct) -> [UInt8] {
        digest(domainSeparator: domain.separator, structHash: message.eip712StructHash())
    }

    /// `encodeType`: the named type, then every struct type it references (transitively) sorted by name.
    /// `definitions` must be complete and acyclic (checked by `TypedData`, by construction for Swift types).
    static func encodeType(_ typeName: String, definitions: [String: [EIP712Field]]) -> String {
        var dependencies: Set<String> = []
        var pending = [typeName]
        while let next = pending.popLast() {
            for field in definitions[next] ?? [] {
                let core = String(field.type.prefix { $0 != "[" })
                if definitions[core] != nil, core != typeName, dependencies.insert(core).inserted {
                    pending.append(core)
                }
            }
        }
        // Byte order, as eth-account's `sorted` compares code points (names are ASCII identifiers).
        let sorted = dependencies.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return ([typeName] + sorted).map { name in
            name + "(" + (definitions[name] ?? []).map { "\($0.type) \($0.name)" }.joined(separator: ",") + ")"
        }.joined()
    }
}

extension TypedData {
    /// The generic form of a Swift-typed message, e.g. to hand to a wallet via `eth_signTypedData_v4`.
    public init(domain: EIP712Domain, message: some EIP712Struct) throws(EIP712Error) {
        let messageType = type(of: message)
        try self.init(
            types: [EIP712TypeDefinition(name: EIP712Domain.typeName, fields: domain.fields)]
                + messageType.eip712TypeDefinitions,
            primaryType: messageType.eip712TypeName, domain: domain.jsonValue, message: message.eip712Message())
    }
}
