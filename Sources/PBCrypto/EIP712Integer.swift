/// Exact conversion of integer text to a 32-byte EIP-712 word, with the bounds of `uintN`/`intN` enforced.
///
/// Amounts arrive as JSON number literals, decimal strings or `0x` hex strings (what wallets accept); a `Double`
/// would silently round them, so this does its own 256-bit arithmetic on four 64-bit limbs.
enum EIP712Integer {
    enum Problem: Error, Equatable {
        case notAnInteger
        case outOfRange
    }

    /// The two's-complement big-endian word for `literal` as a `bitWidth`-bit integer, signed or not.
    /// Hex strings always denote a non-negative value, as in eth-account.
    static func word(literal: String, bitWidth: Int, signed: Bool) throws(Problem) -> [UInt8] {
        let (negative, magnitude) = try parse(literal)
        let significantBits = significantBitCount(magnitude)
        let isZero = significantBits == 0
        let fits: Bool
        if !signed {
            fits = (!negative || isZero) && significantBits <= bitWidth
        } else if negative && !isZero {
            // The most negative value, -2^(N-1), is the one magnitude with N significant bits that fits.
            let isMinimum = significantBits == bitWidth && magnitude.map(\.nonzeroBitCount).reduce(0, +) == 1
            fits = significantBits < bitWidth || isMinimum
        } else {
            fits = significantBits < bitWidth
        }
        guard fits else { throw .outOfRange }
        return bigEndianBytes(negative && !isZero ? twosComplement(magnitude) : magnitude)
    }

    /// Sign and magnitude (four little-endian limbs) of `-?[0-9]+` or `0x[0-9a-fA-F]+`.
    private static func parse(_ literal: String) throws(Problem) -> (negative: Bool, magnitude: [UInt64]) {
        var digits = Substring(literal).utf8[...]
        var radix: UInt64 = 10
        var negative = false
        if digits.starts(with: "0x".utf8) {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.first == UInt8(ascii: "-") {
            negative = true
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { throw .notAnInteger }
        var magnitude: [UInt64] = [0, 0, 0, 0]
        for character in digits {
            guard let digit = digitValue(character), digit < radix else { throw .notAnInteger }
            var carry = digit
            for index in 0..<4 {
                let (high, low) = magnitude[index].multipliedFullWidth(by: radix)
                let (sum, overflow) = low.addingReportingOverflow(carry)
                magnitude[index] = sum
                carry = high + (overflow ? 1 : 0)
            }
            // Keep reading after an overflow would be pointless: any further digit only grows the value.
            guard carry == 0 else { throw .outOfRange }
        }
        return (negative, magnitude)
    }

    private static func digitValue(_ character: UInt8) -> UInt64? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(character - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(character - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(character - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private static func significantBitCount(_ limbs: [UInt64]) -> Int {
        for index in stride(from: 3, through: 0, by: -1) where limbs[index] != 0 {
            return index * 64 + 64 - limbs[index].leadingZeroBitCount
        }
        return 0
    }

    private static func twosComplement(_ limbs: [UInt64]) -> [UInt64] {
        var result = limbs.map { ~$0 }
        var carry: UInt64 = 1
        for index in 0..<4 {
            let (sum, overflow) = result[index].addingReportingOverflow(carry)
            result[index] = sum
            carry = overflow ? 1 : 0
        }
        return result
    }

    private static func bigEndianBytes(_ limbs: [UInt64]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 3, through: 0, by: -1) {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: limbs[index] >> shift)) }
        }
        return bytes
    }
}
