import PBCore

/// One struct type of typed data: `"Person": [{"name": "name", "type": "string"}, ...]`.
public struct EIP712TypeDefinition: Sendable, Hashable {
    public let name: String
    public let fields: [EIP712Field]

    public init(name: String, fields: [EIP712Field]) {
        self.name = name
        self.fields = fields
    }
}

/// EIP-712 typed data in the `eth_signTypedData_v4` JSON form `{types, primaryType, domain, message}`.
///
/// Construction validates everything (types, values, bounds) and hashes the domain and message once, so a
/// `TypedData` value always has a digest. Encoding matches eth-account's `encode_typed_data(full_message=)`;
/// where eth-account coerces or defaults (missing strings, short `bytesN`, truthy bools, wrong fixed-array
/// lengths, cyclic types) this rejects instead, because a wallet prompt and a signature must agree exactly.
public struct TypedData: Sendable, Equatable {
    /// The struct types in document order, `EIP712Domain` included (derived from `domain` when it was absent).
    public let types: [EIP712TypeDefinition]
    public let primaryType: String
    public let domain: JSONValue
    public let message: JSONValue

    let fieldTypes: [String: [ParsedField]]
    let encodedTypes: [String: String]
    let typeHashes: [String: [UInt8]]
    private var domainSeparatorHash: [UInt8] = []
    private var messageHash: [UInt8] = []

    struct ParsedField: Sendable, Hashable {
        let name: String
        let type: EIP712FieldType
    }

    public init(json: String) throws(EIP712Error) {
        do {
            try self.init(jsonValue: try JSONValue.parse(json))
        } catch let error as JSONValue.ParseError {
            throw EIP712Error(path: "json", message: error.description)
        } catch let error as EIP712Error {
            throw error
        } catch {
            throw EIP712Error(path: "json", message: "\(error)")
        }
    }

    public init(jsonValue: JSONValue) throws(EIP712Error) {
        guard let members = jsonValue.objectMembers else {
            throw EIP712Error(path: "typedData", message: "must be a JSON object")
        }
        for member in members where !["types", "primaryType", "domain", "message"].contains(member.key) {
            throw EIP712Error(path: member.key, message: "unexpected member of typed data")
        }
        guard let primaryType = jsonValue["primaryType"]?.stringValue else {
            throw EIP712Error(path: "primaryType", message: "missing or not a string")
        }
        guard let domain = jsonValue["domain"], domain.objectMembers != nil else {
            throw EIP712Error(path: "domain", message: "missing or not an object")
        }
        guard let message = jsonValue["message"], message.objectMembers != nil else {
            throw EIP712Error(path: "message", message: "missing or not an object")
        }
        let declared = try Self.parseTypes(jsonValue["types"])
        try self.init(types: declared, primaryType: primaryType, domain: domain, message: message)
    }

    /// Builds typed data from parts; `types` may omit `EIP712Domain`, which is then derived from `domain`.
    public init(types: [EIP712TypeDefinition], primaryType: String, domain: JSONValue, message: JSONValue)
        throws(EIP712Error)
    {
        var types = types
        let domainDefinition = try Self.domainDefinition(for: domain)
        if let given = types.first(where: { $0.name == EIP712Domain.typeName }) {
            // eth-account hashes the domain in the EIP's field order regardless of this list; accepting any
            // other order would let a wallet that honours the list compute a different separator.
            guard given.fields == domainDefinition.fields else {
                throw EIP712Error(
                    path: "types.EIP712Domain",
                    message: "must list exactly the domain's fields, in the order name, version, chainId, "
                        + "verifyingContract, salt, with their standard types")
            }
        } else {
            types.insert(domainDefinition, at: 0)
        }
        self.types = types
        self.primaryType = primaryType
        self.domain = domain
        self.message = message
        fieldTypes = try Self.parseFieldTypes(types)
        try Self.rejectCycles(fieldTypes)
        guard fieldTypes[primaryType] != nil, primaryType != EIP712Domain.typeName else {
            throw EIP712Error(path: "primaryType", message: "\(primaryType) is not a defined message type")
        }
        let definitions = Dictionary(uniqueKeysWithValues: types.map { ($0.name, $0.fields) })
        var encodedTypes: [String: String] = [:]
        var typeHashes: [String: [UInt8]] = [:]
        for name in definitions.keys {
            let encoded = EIP712.encodeType(name, definitions: definitions)
            encodedTypes[name] = encoded
            typeHashes[name] = Keccak256.hash(Array(encoded.utf8))
        }
        self.encodedTypes = encodedTypes
        self.typeHashes = typeHashes
        domainSeparatorHash = try hashStruct(EIP712Domain.typeName, domain, path: "domain")
        messageHash = try hashStruct(primaryType, message, path: "message")
    }

    /// The EIP-712 domain separator, `hashStruct(EIP712Domain, domain)`.
    public func domainSeparator() -> [UInt8] { domainSeparatorHash }

    /// `hashStruct(primaryType, message)`.
    public func messageStructHash() -> [UInt8] { messageHash }

    /// What a wallet signs: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(primaryType, message)).
    public func digest() -> [UInt8] { EIP712.digest(domainSeparator: domainSeparatorHash, structHash: messageHash) }

    /// The `eth_signTypedData_v4` JSON object.
    public var jsonValue: JSONValue {
        let typeMembers = types.map { definition in
            (
                key: definition.name,
                value: JSONValue.array(
                    definition.fields.map { .object([("name", .string($0.name)), ("type", .string($0.type))]) })
            )
        }
        return .object([
            ("types", .object(typeMembers)), ("primaryType", .string(primaryType)), ("domain", domain),
            ("message", message),
        ])
    }

    /// Compact JSON text of `jsonValue`.
    public var json: String { jsonValue.serialized() }

    // MARK: - Validation of types

    private static func parseTypes(_ value: JSONValue?) throws(EIP712Error) -> [EIP712TypeDefinition] {
        guard let members = value?.objectMembers else {
            throw EIP712Error(path: "types", message: "missing or not an object")
        }
        var definitions: [EIP712TypeDefinition] = []
        for (typeName, fieldList) in members {
            guard let entries = fieldList.arrayValues else {
                throw EIP712Error(path: "types.\(typeName)", message: "must be an array of fields")
            }
            var fields: [EIP712Field] = []
            for (index, entry) in entries.enumerated() {
                guard let entryMembers = entry.objectMembers, entryMembers.count == 2,
                    let name = entry["name"]?.stringValue, let type = entry["type"]?.stringValue
                else {
                    throw EIP712Error(
                        path: "types.\(typeName)[\(index)]", message: "a field is exactly {\"name\": …, \"type\": …}")
                }
                fields.append(EIP712Field(name: name, type: type))
            }
            definitions.append(EIP712TypeDefinition(name: typeName, fields: fields))
        }
        return definitions
    }

    private static func domainDefinition(for domain: JSONValue) throws(EIP712Error) -> EIP712TypeDefinition {
        let keys = domain.objectMembers?.map(\.key) ?? []
        for key in keys where !EIP712Domain.standardFields.contains(where: { $0.name == key }) {
            throw EIP712Error(path: "domain.\(key)", message: "not an EIP712Domain field")
        }
        return EIP712TypeDefinition(
            name: EIP712Domain.typeName, fields: EIP712Domain.standardFields.filter { keys.contains($0.name) })
    }

    private static func parseFieldTypes(_ types: [EIP712TypeDefinition]) throws(EIP712Error) -> [String: [ParsedField]] {
        var parsed: [String: [ParsedField]] = [:]
        for definition in types {
            let path = "types.\(definition.name)"
            guard case .structure = try? EIP712FieldType(parsing: definition.name) else {
                throw EIP712Error(path: path, message: "bad struct type name \(definition.name)")
            }
            guard parsed[definition.name] == nil else { throw EIP712Error(path: path, message: "defined twice") }
            var fields: [ParsedField] = []
            for field in definition.fields {
                let fieldPath = "\(path).\(field.name)"
                guard EIP712FieldType.isIdentifier(field.name) else {
                    throw EIP712Error(path: fieldPath, message: "bad field name")
                }
                guard !fields.contains(where: { $0.name == field.name }) else {
                    throw EIP712Error(path: fieldPath, message: "field defined twice")
                }
                do throws(EIP712Error.Message) {
                    fields.append(ParsedField(name: field.name, type: try EIP712FieldType(parsing: field.type)))
                } catch {
                    throw EIP712Error(path: fieldPath, error)
                }
            }
            parsed[definition.name] = fields
        }
        for definition in types {
            for field in parsed[definition.name] ?? [] {
                if let name = field.type.structName, parsed[name] == nil {
                    throw EIP712Error(path: "types.\(definition.name).\(field.name)", message: "unknown type \(name)")
                }
            }
        }
        return parsed
    }

    /// A struct that contains itself has no finite value to sign; eth-account fills the gap with zero hashes.
    private static func rejectCycles(_ fieldTypes: [String: [ParsedField]]) throws(EIP712Error) {
        var finished: Set<String> = []
        func visit(_ name: String, trail: [String]) throws(EIP712Error) {
            if let start = trail.firstIndex(of: name) {
                let cycle = (trail[start...] + [name]).joined(separator: " -> ")
                throw EIP712Error(path: "types.\(trail[start])", message: "cyclic type definition \(cycle)")
            }
            guard !finished.contains(name) else { return }
            for field in fieldTypes[name] ?? [] {
                if let child = field.type.structName { try visit(child, trail: trail + [name]) }
            }
            finished.insert(name)
        }
        for name in fieldTypes.keys.sorted() { try visit(name, trail: []) }
    }
}
