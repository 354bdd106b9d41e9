import PBCore
import PBCrypto

/// A field of a pb-session message that is missing, malformed or out of range. Always `invalid_payload` on the wire.
public struct SessionMessageError: Error, Hashable, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// Reads the fields of one JSON object strictly: every field must be present, of its type and range, and no
/// unknown field may appear (an unknown field would be silently unsigned data).
struct MessageReader {
    /// Lists longer than this are refused: a grant names a handful of payees and services, not thousands.
    static let maximumListCount = 64
    static let maximumStringBytes = 128

    let path: String
    private let members: [(key: String, value: JSONValue)]
    private var seen: Set<String> = []

    init(_ value: JSONValue, path: String) throws(SessionMessageError) {
        guard let members = value.objectMembers else { throw SessionMessageError(path: path, message: "must be an object") }
        self.path = path
        self.members = members
    }

    private mutating func value(_ key: String) throws(SessionMessageError) -> JSONValue {
        guard let member = members.first(where: { $0.key == key }) else {
            throw SessionMessageError(path: "\(path).\(key)", message: "is missing")
        }
        seen.insert(key)
        return member.value
    }

    mutating func string(_ key: String) throws(SessionMessageError) -> String {
        guard let text = try value(key).stringValue else {
            throw SessionMessageError(path: "\(path).\(key)", message: "must be a string")
        }
        return text
    }

    mutating func object(_ key: String) throws(SessionMessageError) -> JSONValue {
        let member = try value(key)
        guard member.objectMembers != nil else {
            throw SessionMessageError(path: "\(path).\(key)", message: "must be an object")
        }
        return member
    }

    /// An object that may be left out (`null` counts as left out).
    mutating func optionalObject(_ key: String) throws(SessionMessageError) -> JSONValue? {
        guard members.contains(where: { $0.key == key }) else { return nil }
        if case .null = try value(key) { return nil }
        return try object(key)
    }

    mutating func address(_ key: String) throws(SessionMessageError) -> EthereumAddress {
        try Self.address(try string(key), path: "\(path).\(key)")
    }

    mutating func bytes32(_ key: String) throws(SessionMessageError) -> Bytes32 {
        let text = try string(key)
        do { return try Bytes32(hex: text) } catch {
            throw SessionMessageError(path: "\(path).\(key)", message: "must be 0x + 64 hex digits (\(error.message))")
        }
    }

    mutating func unsigned<Integer: FixedWidthInteger & UnsignedInteger>(
        _ key: String, as type: Integer.Type = Integer.self
    ) throws(SessionMessageError) -> Integer {
        try Self.unsigned(try value(key), path: "\(path).\(key)")
    }

    mutating func addresses(_ key: String) throws(SessionMessageError) -> [EthereumAddress] {
        try list(key).enumerated().map { (index, element) throws(SessionMessageError) in
            guard let text = element.stringValue else {
                throw SessionMessageError(path: "\(path).\(key)[\(index)]", message: "must be a string")
            }
            return try Self.address(text, path: "\(path).\(key)[\(index)]")
        }
    }

    mutating func strings(_ key: String) throws(SessionMessageError) -> [String] {
        try list(key).enumerated().map { (index, element) throws(SessionMessageError) in
            guard let text = element.stringValue, !text.isEmpty, text.utf8.count <= Self.maximumStringBytes else {
                throw SessionMessageError(
                    path: "\(path).\(key)[\(index)]",
                    message: "must be a non-empty string of at most \(Self.maximumStringBytes) bytes")
            }
            return text
        }
    }

    private mutating func list(_ key: String) throws(SessionMessageError) -> [JSONValue] {
        guard let values = try value(key).arrayValues else {
            throw SessionMessageError(path: "\(path).\(key)", message: "must be an array")
        }
        guard values.count <= Self.maximumListCount else {
            throw SessionMessageError(
                path: "\(path).\(key)", message: "has \(values.count) entries; at most \(Self.maximumListCount)")
        }
        return values
    }

    /// Refuses fields nobody asked for.
    func finish() throws(SessionMessageError) {
        if let unknown = members.first(where: { !seen.contains($0.key) }) {
            throw SessionMessageError(path: "\(path).\(unknown.key)", message: "is not a field of this message")
        }
    }

    static func address(_ text: String, path: String) throws(SessionMessageError) -> EthereumAddress {
        do { return try EthereumAddress(text) } catch { throw SessionMessageError(path: path, message: error.message) }
    }

    /// A decimal string (or a JSON integer literal): digits only, no sign, no leading zero, within the bit width.
    static func unsigned<Integer: FixedWidthInteger & UnsignedInteger>(
        _ value: JSONValue, path: String
    ) throws(SessionMessageError) -> Integer {
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(let literal): text = literal
        default: throw SessionMessageError(path: path, message: "must be a decimal string")
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw SessionMessageError(path: path, message: "must be a decimal string of digits, got \(text.prefix(80))")
        }
        guard text == "0" || !text.hasPrefix("0") else {
            throw SessionMessageError(path: path, message: "must not have leading zeros: \(text.prefix(80))")
        }
        guard let integer = Integer(text, radix: 10) else {
            throw SessionMessageError(path: path, message: "\(text.prefix(80)) does not fit uint\(Integer.bitWidth)")
        }
        return integer
    }
}

extension JSONValue {
    /// A decimal-string JSON value, the protocol's form for every integer.
    static func decimal<Integer: BinaryInteger>(_ value: Integer) -> JSONValue { .string(String(value)) }
    static func address(_ value: EthereumAddress) -> JSONValue { .string(value.checksummed) }
    static func bytes32(_ value: Bytes32) -> JSONValue { .string(value.hex) }
}
