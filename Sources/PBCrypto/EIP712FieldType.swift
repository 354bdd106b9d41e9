/// A problem with EIP-712 typed data, located by a path such as `message.grant.totalLimit` or `types.Mail.to`.
public struct EIP712Error: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// One member of an EIP-712 struct type, as written in `types`: `{"name": "wallet", "type": "address"}`.
public struct EIP712Field: Sendable, Hashable {
    public let name: String
    public let type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }
}

/// The grammar of an EIP-712 field type: atomic and dynamic Solidity types, struct names, and arrays of them.
indirect enum EIP712FieldType: Sendable, Hashable {
    case address
    case bool
    case string
    case bytes
    case fixedBytes(byteCount: Int)
    case unsigned(bitWidth: Int)
    case signed(bitWidth: Int)
    case structure(name: String)
    /// `length` is nil for a dynamic array `T[]`.
    case array(element: EIP712FieldType, length: Int?)

    /// Parses a type such as `uint128`, `Person[]` or `bytes32[2][]`.
    /// Names that are not Solidity types must be identifiers; whether such a struct exists is checked by the caller.
    init(parsing text: String) throws(EIP712Error.Message) {
        if text.hasSuffix("]") {
            guard let open = text.lastIndex(of: "[") else { throw .init("malformed array type \(text)") }
            let lengthText = text[text.index(after: open)..<text.index(before: text.endIndex)]
            var length: Int? = nil
            if !lengthText.isEmpty {
                // Solidity writes lengths in plain decimal; `T[0]` and `T[01]` would hash as different types.
                guard let value = Int(lengthText, radix: 10), value > 0, String(value) == lengthText, value <= 1 << 20 else {
                    throw .init("bad array length in \(text)")
                }
                length = value
            }
            self = .array(element: try EIP712FieldType(parsing: String(text[..<open])), length: length)
            return
        }
        switch text {
        case "address": self = .address
        case "bool": self = .bool
        case "string": self = .string
        case "bytes": self = .bytes
        default:
            if let size = Self.sizeSuffix(text, prefix: "uint"), size % 8 == 0, (8...256).contains(size) {
                self = .unsigned(bitWidth: size)
            } else if let size = Self.sizeSuffix(text, prefix: "int"), size % 8 == 0, (8...256).contains(size) {
                self = .signed(bitWidth: size)
            } else if let size = Self.sizeSuffix(text, prefix: "bytes"), (1...32).contains(size) {
                self = .fixedBytes(byteCount: size)
            } else if Self.isIdentifier(text) {
                self = .structure(name: text)
            } else {
                throw .init("bad type name \(text)")
            }
        }
    }

    /// The struct named at the core of this type (`Person` for `Person[2][]`), if any.
    var structName: String? {
        switch self {
        case .structure(let name): name
        case .array(let element, _): element.structName
        default: nil
        }
    }

    private static func sizeSuffix(_ text: String, prefix: String) -> Int? {
        guard text.hasPrefix(prefix) else { return nil }
        let digits = text.dropFirst(prefix.count)
        guard let size = Int(digits, radix: 10), String(size) == digits else { return nil }
        return size
    }

    /// ASCII identifiers only, so that type names sort by byte value exactly as eth-account's `sorted` does.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, !isDigit(first) else { return false }
        return text.utf8.allSatisfy { isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "$") }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}

extension EIP712Error {
    /// A problem not yet placed at a path; callers attach the path where they know it.
    struct Message: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    init(path: String, _ problem: Message) { self.init(path: path, message: problem.text) }
}
