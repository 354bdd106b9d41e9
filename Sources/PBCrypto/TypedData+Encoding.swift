import PBCore

/// The generic (JSON-driven) EIP-712 encoding: `encodeType`, `typeHash`, `encodeData` and `hashStruct`.
extension TypedData {
    /// `Name(type field,...)` followed by every referenced struct type sorted by name.
    public func encodeType(_ typeName: String) throws(EIP712Error) -> String {
        guard let encoded = encodedTypes[typeName] else { throw unknownType(typeName) }
        return encoded
    }

    public func typeHash(_ typeName: String) throws(EIP712Error) -> [UInt8] {
        guard let hash = typeHashes[typeName] else { throw unknownType(typeName) }
        return hash
    }

    /// `typeHash ‖ encodeData(field)...` for a struct value; `path` names the value in error messages.
    public func encodeData(_ typeName: String, _ value: JSONValue, path: String = "value") throws(EIP712Error) -> [UInt8]
    {
        try structEncoder(typeName, value, path: path).encoded
    }

    /// keccak256 of `encodeData`.
    public func hashStruct(_ typeName: String, _ value: JSONValue, path: String = "value") throws(EIP712Error) -> [UInt8]
    {
        try structEncoder(typeName, value, path: path).finalize()
    }

    private func unknownType(_ typeName: String) -> EIP712Error {
        EIP712Error(path: "types", message: "unknown type \(typeName)")
    }

    private func structEncoder(_ typeName: String, _ value: JSONValue, path: String) throws(EIP712Error)
        -> EIP712StructEncoder
    {
        guard let fields = fieldTypes[typeName], let typeHash = typeHashes[typeName] else { throw unknownType(typeName) }
        guard let members = value.objectMembers else {
            throw EIP712Error(path: path, message: "expected an object for struct \(typeName)")
        }
        // Members the type does not list would be shown by a wallet but not signed: refuse them.
        for member in members where !fields.contains(where: { $0.name == member.key }) {
            throw EIP712Error(path: "\(path).\(member.key)", message: "not a field of \(typeName)")
        }
        var encoder = EIP712StructEncoder(typeHash: typeHash, fieldCount: fields.count)
        for field in fields {
            let fieldPath = "\(path).\(field.name)"
            guard let fieldValue = value[field.name] else {
                throw EIP712Error(path: fieldPath, message: "missing field of type \(field.type)")
            }
            encoder.appendWord(try encodeValue(field.type, fieldValue, path: fieldPath))
        }
        return encoder
    }

    /// The 32-byte word a field value contributes to its struct's encoding.
    private func encodeValue(_ type: EIP712FieldType, _ value: JSONValue, path: String) throws(EIP712Error) -> [UInt8] {
        switch type {
        case .address:
            guard let text = value.stringValue, let address = try? EthereumAddress(text) else {
                throw EIP712Error(path: path, message: "\(describe(value)) is not an address")
            }
            return EIP712StructEncoder.word(address: address)
        case .bool:
            guard case .bool(let flag) = value else {
                throw EIP712Error(path: path, message: "\(describe(value)) is not a JSON boolean")
            }
            return EIP712StructEncoder.word(bool: flag)
        case .string:
            guard let text = value.stringValue else {
                throw EIP712Error(path: path, message: "\(describe(value)) is not a string")
            }
            return Keccak256.hash(Array(text.utf8))
        case .bytes:
            return Keccak256.hash(try hexBytes(value, path: path, typeName: "bytes"))
        case .fixedBytes(let byteCount):
            let bytes = try hexBytes(value, path: path, typeName: "bytes\(byteCount)")
            guard bytes.count == byteCount else {
                throw EIP712Error(path: path, message: "expected \(byteCount) bytes for bytes\(byteCount), got \(bytes.count)")
            }
            return EIP712StructEncoder.word(fixedBytes: bytes)
        case .unsigned(let bitWidth):
            return try integerWord(value, bitWidth: bitWidth, signed: false, path: path)
        case .signed(let bitWidth):
            return try integerWord(value, bitWidth: bitWidth, signed: true, path: path)
        case .structure(let name):
            return try hashStruct(name, value, path: path)
        case .array(let element, let length):
            guard let values = value.arrayValues else {
                throw EIP712Error(path: path, message: "expected an array")
            }
            if let length, values.count != length {
                throw EIP712Error(path: path, message: "expected \(length) elements, got \(values.count)")
            }
            var words: [[UInt8]] = []
            words.reserveCapacity(values.count)
            for (index, item) in values.enumerated() {
                words.append(try encodeValue(element, item, path: "\(path)[\(index)]"))
            }
            return EIP712StructEncoder.hash(words: words)
        }
    }

    private func hexBytes(_ value: JSONValue, path: String, typeName: String) throws(EIP712Error) -> [UInt8] {
        // Only 0x hex: eth-account would also take arbitrary text as UTF-8, which makes "0x12" and "0x1" ambiguous.
        guard let text = value.stringValue, text.hasPrefix("0x"), let bytes = try? Hex.decode(text) else {
            throw EIP712Error(path: path, message: "\(describe(value)) is not 0x-prefixed hex for \(typeName)")
        }
        return bytes
    }

    private func integerWord(_ value: JSONValue, bitWidth: Int, signed: Bool, path: String) throws(EIP712Error)
        -> [UInt8]
    {
        let typeName = (signed ? "int" : "uint") + String(bitWidth)
        let literal: String
        switch value {
        case .number(let text), .string(let text): literal = text
        default: throw EIP712Error(path: path, message: "\(describe(value)) is not an integer for \(typeName)")
        }
        do {
            return try EIP712Integer.word(literal: literal, bitWidth: bitWidth, signed: signed)
        } catch .outOfRange {
            throw EIP712Error(path: path, message: "\(literal) does not fit \(typeName)")
        } catch {
            throw EIP712Error(path: path, message: "\(describe(value)) is not an integer for \(typeName)")
        }
    }

    private func describe(_ value: JSONValue) -> String {
        let text = value.serialized()
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}
