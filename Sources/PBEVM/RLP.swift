/// Recursive Length Prefix, Ethereum's serialisation of transactions (Yellow Paper, appendix B).
public enum RLP {
    /// A byte string or a list of items.
    public indirect enum Item: Sendable, Hashable {
        case bytes([UInt8])
        case list([Item])

        /// An unsigned integer as RLP writes it: big-endian, no leading zeros, zero as the empty string.
        public static func integer(_ value: UInt128) -> Item { .bytes(minimalBigEndian(value)) }
        public static func integer(_ value: UInt64) -> Item { integer(UInt128(value)) }
    }

    public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { "RLP: \(message)" }
    }

    /// Bounds nesting while decoding untrusted input: transactions nest three levels deep.
    public static let maximumDecodingDepth = 16

    public static func encode(_ item: Item) -> [UInt8] {
        var output: [UInt8] = []
        append(item, to: &output)
        return output
    }

    private static func append(_ item: Item, to output: inout [UInt8]) {
        switch item {
        case .bytes(let bytes):
            if bytes.count == 1, bytes[0] < 0x80 {
                output.append(bytes[0])
            } else {
                appendLength(bytes.count, offset: 0x80, to: &output)
                output.append(contentsOf: bytes)
            }
        case .list(let items):
            var payload: [UInt8] = []
            for element in items { append(element, to: &payload) }
            appendLength(payload.count, offset: 0xc0, to: &output)
            output.append(contentsOf: payload)
        }
    }

    private static func appendLength(_ length: Int, offset: UInt8, to output: inout [UInt8]) {
        if length < 56 {
            output.append(offset + UInt8(length))
        } else {
            let lengthBytes = minimalBigEndian(UInt128(length))
            output.append(offset + 55 + UInt8(lengthBytes.count))
            output.append(contentsOf: lengthBytes)
        }
    }

    static func minimalBigEndian(_ value: UInt128) -> [UInt8] {
        var bytes: [UInt8] = []
        var remaining = value
        while remaining > 0 {
            bytes.insert(UInt8(truncatingIfNeeded: remaining), at: 0)
            remaining >>= 8
        }
        return bytes
    }

    /// Decodes exactly one item that spans all of `bytes`; non-canonical encodings are refused.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Item {
        var offset = 0
        let item = try decodeItem(bytes, at: &offset, end: bytes.count, depth: 0)
        guard offset == bytes.count else { throw DecodingError(message: "\(bytes.count - offset) trailing bytes") }
        return item
    }

    private static func decodeItem(_ bytes: [UInt8], at offset: inout Int, end: Int, depth: Int)
        throws(DecodingError) -> Item
    {
        guard depth <= maximumDecodingDepth else { throw DecodingError(message: "nested too deeply") }
        guard offset < end else { throw DecodingError(message: "unexpected end") }
        let prefix = bytes[offset]
        offset += 1
        switch prefix {
        case 0x00..<0x80:
            return .bytes([prefix])
        case 0x80..<0xc0:
            let length = try readLength(bytes, prefix: prefix, base: 0x80, at: &offset, end: end)
            let payload = Array(bytes[offset..<offset + length])
            guard !(length == 1 && payload[0] < 0x80) else { throw DecodingError(message: "non-canonical single byte") }
            offset += length
            return .bytes(payload)
        default:
            let length = try readLength(bytes, prefix: prefix, base: 0xc0, at: &offset, end: end)
            let listEnd = offset + length
            var items: [Item] = []
            while offset < listEnd { items.append(try decodeItem(bytes, at: &offset, end: listEnd, depth: depth + 1)) }
            return .list(items)
        }
    }

    private static func readLength(_ bytes: [UInt8], prefix: UInt8, base: UInt8, at offset: inout Int, end: Int)
        throws(DecodingError) -> Int
    {
        let short = Int(prefix - base)
        var length = short
        if short >= 56 {
            let lengthOfLength = short - 55
            guard lengthOfLength <= 4, offset + lengthOfLength <= end else { throw DecodingError(message: "bad length") }
            length = 0
            for byte in bytes[offset..<offset + lengthOfLength] { length = length << 8 | Int(byte) }
            guard bytes[offset] != 0, length >= 56 else { throw DecodingError(message: "non-canonical length") }
            offset += lengthOfLength
        }
        guard offset + length <= end else { throw DecodingError(message: "item runs past its end") }
        return length
    }
}
