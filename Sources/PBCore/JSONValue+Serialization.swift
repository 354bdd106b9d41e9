/// Compact JSON output, the inverse of `JSONValue.parse`.
extension JSONValue {
    /// Compact JSON: no whitespace, members in document order, number literals written back unchanged.
    /// Only `"`, `\` and control characters are escaped; other characters are written as UTF-8.
    public func serialized() -> String {
        var output: [UInt8] = []
        write(into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Compact JSON with every object's members sorted by key (UTF-8 byte order, which is Python's
    /// `sort_keys` order), so equal values always give the same bytes.
    public func serializedSortingKeys() -> String {
        String(decoding: serializedBytesSortingKeys(), as: UTF8.self)
    }

    /// `serializedSortingKeys()` as UTF-8 bytes, for callers that encode them further (base64 headers).
    public func serializedBytesSortingKeys() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1_024)
        write(into: &output, sortingKeys: true)
        return output
    }

    private func write(into output: inout [UInt8], sortingKeys: Bool = false) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let literal): output.append(contentsOf: literal.utf8)
        case .string(let text): Self.writeString(text, into: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.write(into: &output, sortingKeys: sortingKeys)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            // Most objects are built in key order already; checking costs n-1 comparisons, sorting n log n.
            let precedes = { (a: (key: String, value: JSONValue), b: (key: String, value: JSONValue)) in
                Self.utf8Precedes(a.key, b.key)
            }
            let ordered = sortingKeys && !Self.isOrdered(members, by: precedes) ? members.sorted(by: precedes) : members
            for (index, member) in ordered.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(into: &output, sortingKeys: sortingKeys)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Byte order of the keys' UTF-8 (RFC 8785's order for the ASCII keys x402 uses), on contiguous storage.
    private static func utf8Precedes(_ left: String, _ right: String) -> Bool {
        let ordered = left.utf8.withContiguousStorageIfAvailable { leftBytes in
            right.utf8.withContiguousStorageIfAvailable { rightBytes in
                leftBytes.lexicographicallyPrecedes(rightBytes)
            }
        }
        return ordered.flatMap { $0 } ?? left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    private static func isOrdered(
        _ members: [(key: String, value: JSONValue)],
        by precedes: ((key: String, value: JSONValue), (key: String, value: JSONValue)) -> Bool
    ) -> Bool {
        guard members.count > 1 else { return true }
        for index in 1..<members.count where !precedes(members[index - 1], members[index]) { return false }
        return true
    }

    /// Appends `text` as a JSON string literal, escaped exactly as `serialized()` escapes strings: for writers that
    /// produce JSON bytes without building a `JSONValue` first.
    public static func appendString(_ text: String, to output: inout [UInt8]) { writeString(text, into: &output) }

    private static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Nearly every string (hex, decimals, names) needs no escape: copy it whole, scanning and copying the
        // string's own contiguous bytes (iterating its UTF-8 view byte by byte cost more than the copy).
        let copiedWhole = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            output.append(contentsOf: bytes)
            return true
        }
        if copiedWhole == true {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: "\\\\".utf8)
            case 0x08: output.append(contentsOf: "\\b".utf8)
            case 0x0C: output.append(contentsOf: "\\f".utf8)
            case 0x0A: output.append(contentsOf: "\\n".utf8)
            case 0x0D: output.append(contentsOf: "\\r".utf8)
            case 0x09: output.append(contentsOf: "\\t".utf8)
            case 0x00..<0x20:
                output.append(contentsOf: "\\u00".utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
