import PBCore
import PBCrypto

/// Solidity/Vyper ABI encoding of call data: the types the rail's contract calls use.
public enum ABI {
    public indirect enum ValueType: Hashable, Sendable {
        case uint(bits: Int)
        case address, bool, bytes, string
        case fixedBytes(count: Int)
        case array(ValueType)
        case tuple([ValueType])

        /// Parses a canonical type such as `uint128`, `bytes32`, `address[]` or `(bytes32,uint64)[]`.
        public init(_ text: String) throws(ABIError) {
            if text.hasSuffix("[]") {
                self = .array(try ValueType(String(text.dropLast(2))))
            } else if text.hasPrefix("(") && text.hasSuffix(")") {
                self = .tuple(try Self.splitTuple(text).map { (member) throws(ABIError) in try ValueType(member) })
            } else if text == "address" {
                self = .address
            } else if text == "bool" {
                self = .bool
            } else if text == "bytes" {
                self = .bytes
            } else if text == "string" {
                self = .string
            } else if text.hasPrefix("uint"), let bits = Int(text.dropFirst(4)), bits % 8 == 0, (8...256).contains(bits) {
                self = .uint(bits: bits)
            } else if text.hasPrefix("bytes"), let count = Int(text.dropFirst(5)), (1...32).contains(count) {
                self = .fixedBytes(count: count)
            } else {
                throw ABIError("unsupported ABI type \(text.prefix(80))")
            }
        }

        public var canonicalName: String {
            switch self {
            case .uint(let bits): "uint\(bits)"
            case .address: "address"
            case .bool: "bool"
            case .bytes: "bytes"
            case .string: "string"
            case .fixedBytes(let count): "bytes\(count)"
            case .array(let element): element.canonicalName + "[]"
            case .tuple(let members): "(" + members.map(\.canonicalName).joined(separator: ",") + ")"
            }
        }

        var isDynamic: Bool {
            switch self {
            case .bytes, .string, .array: true
            case .tuple(let members): members.contains { $0.isDynamic }
            default: false
            }
        }

        private static func splitTuple(_ text: String) throws(ABIError) -> [String] {
            var members: [String] = [], current = "", depth = 0
            for character in text.dropFirst().dropLast() {
                if character == ",", depth == 0 {
                    members.append(current)
                    current = ""
                    continue
                }
                if character == "(" { depth += 1 }
                if character == ")" { depth -= 1 }
                guard depth >= 0 else { throw ABIError("unbalanced parentheses in \(text.prefix(80))") }
                current.append(character)
            }
            guard depth == 0 else { throw ABIError("unbalanced parentheses in \(text.prefix(80))") }
            return current.isEmpty ? members : members + [current]
        }
    }

    /// A value to encode. Integers are unsigned and at most 128 bits: every amount here fits.
    public indirect enum Value: Hashable, Sendable {
        case uint(UInt128)
        case address(EthereumAddress)
        case bool(Bool)
        case bytes([UInt8])
        case string(String)
        case fixedBytes([UInt8])
        case array([Value])
        case tuple([Value])
    }

    public struct ABIError: Error, Hashable, Sendable, CustomStringConvertible {
        public let message: String
        init(_ message: String) { self.message = message }
        public var description: String { "ABI: \(message)" }
    }

    /// The 4-byte selector of a function signature such as `transfer(address,uint256)`.
    public static func selector(_ signature: String) -> [UInt8] { Array(Keccak256.hash(Array(signature.utf8)).prefix(4)) }

    /// Call data: the selector of `name(types…)` followed by the encoded arguments.
    public static func callData(_ name: String, _ arguments: [(ValueType, Value)]) throws(ABIError) -> [UInt8] {
        let types = arguments.map(\.0)
        let signature = name + "(" + types.map(\.canonicalName).joined(separator: ",") + ")"
        return selector(signature) + (try encode(arguments.map(\.1), as: types))
    }

    /// The arguments' encoding (a tuple's head/tail layout), without a selector.
    public static func encode(_ values: [Value], as types: [ValueType]) throws(ABIError) -> [UInt8] {
        try encodeSequence(values, types, path: "arguments")
    }

    private static func encodeSequence(_ values: [Value], _ types: [ValueType], path: String) throws(ABIError) -> [UInt8] {
        guard values.count == types.count else {
            throw ABIError("\(path): \(values.count) values for \(types.count) types")
        }
        var heads: [[UInt8]] = [], tails: [[UInt8]] = []
        for (index, (value, type)) in zip(values, types).enumerated() {
            let encoded = try encodeOne(value, type, path: "\(path).\(index)")
            if type.isDynamic {
                heads.append([])  // the offset, known once every head's size is
                tails.append(encoded)
            } else {
                heads.append(encoded)
                tails.append([])
            }
        }
        let headSize = zip(heads, types).reduce(0) { $0 + ($1.1.isDynamic ? 32 : $1.0.count) }
        var output: [UInt8] = [], tailOffset = headSize
        for (index, type) in types.enumerated() {
            if type.isDynamic {
                output += word(UInt128(tailOffset))
                tailOffset += tails[index].count
            } else {
                output += heads[index]
            }
        }
        for tail in tails { output += tail }
        return output
    }

    private static func encodeOne(_ value: Value, _ type: ValueType, path: String) throws(ABIError) -> [UInt8] {
        switch (value, type) {
        case (.uint(let integer), .uint(let bits)):
            guard bits >= 128 || integer < UInt128(1) << bits else { throw ABIError("\(path): \(integer) exceeds uint\(bits)") }
            return word(integer)
        case (.address(let address), .address):
            return [UInt8](repeating: 0, count: 12) + address.bytes
        case (.bool(let flag), .bool):
            return word(flag ? 1 : 0)
        case (.fixedBytes(let bytes), .fixedBytes(let count)):
            guard bytes.count == count else { throw ABIError("\(path): \(bytes.count) bytes for bytes\(count)") }
            return padded(bytes)
        case (.bytes(let bytes), .bytes):
            return word(UInt128(bytes.count)) + padded(bytes)
        case (.string(let text), .string):
            return word(UInt128(text.utf8.count)) + padded(Array(text.utf8))
        case (.array(let elements), .array(let elementType)):
            return word(UInt128(elements.count))
                + (try encodeSequence(elements, Array(repeating: elementType, count: elements.count), path: path))
        case (.tuple(let members), .tuple(let memberTypes)):
            return try encodeSequence(members, memberTypes, path: path)
        default:
            throw ABIError("\(path): value \(value) does not fit type \(type.canonicalName)")
        }
    }

    static func word(_ value: UInt128) -> [UInt8] {
        [UInt8](repeating: 0, count: 16) + (0..<16).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32)
    }
}
