/// Hexadecimal encoding of byte strings, as Ethereum tooling writes them (`0x`-prefixed, lower case).
public enum Hex {
    public struct DecodingError: Error, Equatable, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex, `0x`-prefixed unless `prefix` is false.
    public static func encode(_ bytes: some Sequence<UInt8>, prefix: Bool = true) -> String {
        encode(Array(bytes), prefix: prefix)
    }

    /// The same for a contiguous array, written straight into the string's storage: receipts and offers encode
    /// several hashes per paid request, and a generic loop is not specialised across modules.
    public static func encode(_ bytes: [UInt8], prefix: Bool = true) -> String {
        let count = bytes.count * 2 + (prefix ? 2 : 0)
        return String(unsafeUninitializedCapacity: count) { buffer in
            var index = 0
            if prefix {
                buffer[0] = UInt8(ascii: "0")
                buffer[1] = UInt8(ascii: "x")
                index = 2
            }
            digits.withUnsafeBufferPointer { digits in
                for byte in bytes {
                    buffer[index] = digits[Int(byte >> 4)]
                    buffer[index + 1] = digits[Int(byte & 0x0f)]
                    index += 2
                }
            }
            return count
        }
    }

    /// Appends `0x` and the lower-case hex digits of `bytes` to `output`, for writers that build text as bytes.
    public static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        output.append(UInt8(ascii: "0"))
        output.append(UInt8(ascii: "x"))
        digits.withUnsafeBufferPointer { digits in
            for byte in bytes {
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0f)])
            }
        }
    }

    /// Decodes hex with an optional `0x`/`0X` prefix; either case. The digit count must be even.
    public static func decode(_ string: String) throws(DecodingError) -> [UInt8] {
        var utf8 = Substring(string).utf8[...]
        if utf8.count >= 2, utf8.first == UInt8(ascii: "0"),
            utf8.dropFirst().first == UInt8(ascii: "x") || utf8.dropFirst().first == UInt8(ascii: "X")
        {
            utf8 = utf8.dropFirst(2)
        }
        guard utf8.count % 2 == 0 else {
            throw DecodingError(message: "hex string has an odd number of digits (\(utf8.count))")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var high: UInt8? = nil
        for character in utf8 {
            guard let nibble = nibble(character) else {
                throw DecodingError(message: "invalid hex digit '\(Character(Unicode.Scalar(character)))'")
            }
            if let highNibble = high {
                bytes.append(highNibble << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }

    /// Decodes hex and requires exactly `count` bytes.
    public static func decode(_ string: String, count: Int) throws(DecodingError) -> [UInt8] {
        let bytes = try decode(string)
        guard bytes.count == count else {
            throw DecodingError(message: "expected \(count) bytes of hex, got \(bytes.count)")
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
