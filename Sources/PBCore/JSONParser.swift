/// Strict RFC 8259 parsing into `JSONValue`.
///
/// Signed payloads are parsed here, so the parser is deliberately unforgiving: no comments, no trailing commas,
/// no leading zeros, no byte-order mark, no lone surrogates, no duplicate object keys (two parsers disagreeing on
/// which duplicate wins is a classic signature-bypass). Numbers keep their literal text.
extension JSONValue {
    public struct ParseError: Error, Equatable, CustomStringConvertible, Sendable {
        public let message: String
        /// Offset into the UTF-8 input where the problem was found.
        public let byteOffset: Int
        public var description: String { "JSON error at byte \(byteOffset): \(message)" }
    }

    /// Arrays and objects may nest this deep; deeper input is rejected before it can exhaust the stack.
    public static let maximumNestingDepth = 64
    public static let defaultMaximumInputBytes = 1 << 20

    public static func parse(
        _ bytes: [UInt8], maximumInputBytes: Int = defaultMaximumInputBytes
    ) throws(ParseError) -> JSONValue {
        guard bytes.count <= maximumInputBytes else {
            throw ParseError(
                message: "input is \(bytes.count) bytes, more than the limit of \(maximumInputBytes)",
                byteOffset: maximumInputBytes)
        }
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    public static func parse(
        _ text: String, maximumInputBytes: Int = defaultMaximumInputBytes
    ) throws(ParseError) -> JSONValue {
        try parse(Array(text.utf8), maximumInputBytes: maximumInputBytes)
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String, at position: Int? = nil) -> JSONValue.ParseError {
        JSONValue.ParseError(message: message, byteOffset: position ?? offset)
    }

    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { offset += 1 }
    }

    mutating func expect(_ literal: String, value: JSONValue) throws(JSONValue.ParseError) -> JSONValue {
        for expected in literal.utf8 {
            guard current == expected else { throw error("invalid literal, expected '\(literal)'") }
            offset += 1
        }
        return value
    }

    mutating func parseValue(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(printable(byte))', expected a value")
        }
    }

    func checkDepth(_ depth: Int) throws(JSONValue.ParseError) {
        guard depth <= JSONValue.maximumNestingDepth else {
            throw error("nesting deeper than \(JSONValue.maximumNestingDepth) levels")
        }
    }

    static let linearKeyCheckLimit = 16

    mutating func parseObject(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        try checkDepth(depth)
        offset += 1
        var members: [(key: String, value: JSONValue)] = []
        // Swift compares strings by canonical equivalence, so keys that differ only in Unicode normalization
        // count as duplicates too: they would look identical to a person reviewing the payload. Small objects (all
        // of a payment header's) are checked by comparing with the keys so far, which is cheaper than hashing
        // every key into a set; a set takes over past `linearKeyCheckLimit` members.
        var seenKeys: Set<String>?
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = offset
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            let isDuplicate: Bool
            if seenKeys != nil {
                isDuplicate = !seenKeys!.insert(key).inserted
            } else {
                isDuplicate = members.contains { $0.key == key }
                if !isDuplicate, members.count + 1 >= Self.linearKeyCheckLimit {
                    seenKeys = Set(members.map(\.key))
                    seenKeys!.insert(key)
                }
            }
            guard !isDuplicate else { throw error("duplicate key \"\(key)\"", at: keyOffset) }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            offset += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                return .object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        try checkDepth(depth)
        offset += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                return .array(values)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    mutating func parseNumber() throws(JSONValue.ParseError) -> String {
        let start = offset
        if current == UInt8(ascii: "-") { offset += 1 }
        if current == UInt8(ascii: "0") {
            offset += 1
            if let next = current, isDigit(next) { throw error("leading zeros are not allowed in numbers") }
        } else {
            try skipDigits("expected a digit")
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            try skipDigits("expected a digit after the decimal point")
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            try skipDigits("expected a digit in the exponent")
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    mutating func skipDigits(_ message: String) throws(JSONValue.ParseError) {
        guard let first = current, isDigit(first) else { throw error(message) }
        while let byte = current, isDigit(byte) { offset += 1 }
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    mutating func parseString() throws(JSONValue.ParseError) -> String {
        let start = offset
        offset += 1
        // Fast path: most strings (addresses, hex, decimal amounts) have no escapes, so find the closing quote and
        // validate the slice in place instead of copying byte by byte.
        var end = offset
        var highBits: UInt8 = 0
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            highBits |= bytes[end]
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text: String
            if highBits < 0x80 {
                // ASCII is valid UTF-8 as it stands: no validation pass (the generic one was a visible part of
                // parsing a payment header).
                text = bytes.withUnsafeBufferPointer {
                    String(decoding: UnsafeBufferPointer(rebasing: $0[offset..<end]), as: UTF8.self)
                }
            } else {
                guard let validated = String(validating: bytes[offset..<end], as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                text = validated
            }
            offset = end + 1
            return text
        }
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unterminated string", at: start) }
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return text
            case UInt8(ascii: "\\"):
                offset += 1
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw error("unescaped control character 0x\(String(byte, radix: 16)) in a string")
            default:
                utf8.append(byte)
                offset += 1
            }
        }
    }

    mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONValue.ParseError) {
        guard let byte = current else { throw error("unterminated escape sequence") }
        offset += 1
        let simple: UInt8? =
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            utf8.append(simple)
            return
        }
        guard byte == UInt8(ascii: "u") else {
            throw error("invalid escape '\\\(printable(byte))'", at: offset - 2)
        }
        let escapeStart = offset - 2
        let first = try parseHexQuad()
        var scalarValue = UInt32(first)
        if (0xD800...0xDBFF).contains(first) {
            guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u")
            else { throw error("high surrogate without a following low surrogate", at: escapeStart) }
            offset += 2
            let second = try parseHexQuad()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw error("high surrogate followed by a non-low surrogate", at: escapeStart)
            }
            scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(first) {
            throw error("lone low surrogate", at: escapeStart)
        }
        // Surrogates were combined above, so every value reaching here is a valid scalar.
        utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalarValue)!)).utf8))
    }

    mutating func parseHexQuad() throws(JSONValue.ParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = hexDigitValue(byte) else {
                throw error("\\u must be followed by four hex digits")
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }

    func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func printable(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }
}
