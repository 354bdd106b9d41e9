/// Standard base64 (RFC 4648 section 4, `+/` and `=` padding) for header values, without Foundation's `Data`:
/// the payment headers are encoded and decoded once per paid call, and going through `Data` cost an extra copy
/// and allocation each way.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// 0...63 for an alphabet byte, 0xFF for anything else.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The padded encoding of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        let outputCount = (bytes.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: outputCount) { output in
            alphabet.withUnsafeBufferPointer { alphabet in
                var written = 0
                var index = 0
                while index + 3 <= bytes.count {
                    let word = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                    output[written] = alphabet[Int(word >> 18)]
                    output[written + 1] = alphabet[Int(word >> 12 & 0x3F)]
                    output[written + 2] = alphabet[Int(word >> 6 & 0x3F)]
                    output[written + 3] = alphabet[Int(word & 0x3F)]
                    written += 4
                    index += 3
                }
                let remaining = bytes.count - index
                if remaining > 0 {
                    let second = remaining == 2 ? UInt32(bytes[index + 1]) : 0
                    let word = UInt32(bytes[index]) << 16 | second << 8
                    output[written] = alphabet[Int(word >> 18)]
                    output[written + 1] = alphabet[Int(word >> 12 & 0x3F)]
                    output[written + 2] = remaining == 2 ? alphabet[Int(word >> 6 & 0x3F)] : UInt8(ascii: "=")
                    output[written + 3] = UInt8(ascii: "=")
                    written += 4
                }
                return written
            }
        }
    }

    /// The bytes `text` encodes, or nil when it is not standard base64. Padding is optional (x402 senders differ),
    /// but a length of 4n+1 is never valid, `=` may only end the text, and URL-safe `-_`, whitespace and any
    /// other byte are refused.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(utf8: $0) }
    }

    public static func decode(utf8 input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var count = input.count
        var padding = 0
        while count > 0, input[count - 1] == UInt8(ascii: "="), padding < 2 {
            count -= 1
            padding += 1
        }
        // Padding, when present, completes the last group of four.
        if padding > 0, (count + padding) % 4 != 0 { return nil }
        guard count % 4 != 1 else { return nil }
        // Whole groups of four first, written straight into the result (appending byte by byte with its capacity
        // check cost half the decoding time), then the 2 or 3 characters of a last partial group.
        let outputCount = count / 4 * 3 + (count % 4 == 0 ? 0 : count % 4 - 1)
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
            values.withUnsafeBufferPointer { values in
                var written = 0
                var offset = 0
                var invalid: UInt8 = 0
                while offset + 4 <= count {
                    let first = values[Int(input[offset])], second = values[Int(input[offset + 1])]
                    let third = values[Int(input[offset + 2])], fourth = values[Int(input[offset + 3])]
                    invalid |= (first | second | third | fourth) & 0xC0
                    let word = UInt32(first) << 18 | UInt32(second) << 12 | UInt32(third) << 6 | UInt32(fourth)
                    output[written] = UInt8(truncatingIfNeeded: word >> 16)
                    output[written + 1] = UInt8(truncatingIfNeeded: word >> 8)
                    output[written + 2] = UInt8(truncatingIfNeeded: word)
                    written += 3
                    offset += 4
                }
                var word: UInt32 = 0
                let tail = count - offset
                for index in 0..<tail {
                    let value = values[Int(input[offset + index])]
                    invalid |= value & 0xC0
                    word = word << 6 | UInt32(value & 0x3F)
                }
                // A partial group of 2 characters carries 12 bits (one byte), of 3 carries 18 bits (two bytes).
                if tail == 2 {
                    output[written] = UInt8(truncatingIfNeeded: word >> 4)
                    written += 1
                } else if tail == 3 {
                    output[written] = UInt8(truncatingIfNeeded: word >> 10)
                    output[written + 1] = UInt8(truncatingIfNeeded: word >> 2)
                    written += 2
                }
                valid = invalid == 0
                initialized = written
            }
        }
        return valid ? output : nil
    }
}
