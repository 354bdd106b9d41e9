/// The one parser and printer for non-negative fixed-point decimal strings, shared by `Amount` and `Rate`.
///
/// Grammar (ASCII only): `integer [ "." fraction ]` where `integer` is `0` or a non-zero digit followed by
/// digits, and `fraction` is 1 to `fractionDigits` digits. Trailing fractional zeros are accepted so that the
/// fixed-decimals form parses back. Everything else is rejected with a specific `MoneyError`.
/// Public so that other exact decimals (price multipliers in PBPricing) share this one grammar.
public enum DecimalString {
    /// Parses `text` into an integer count of `10^-fractionDigits` units.
    public static func parse(_ text: String, fractionDigits: Int) throws(MoneyError) -> UInt128 {
        let bytes = Array(text.utf8)
        try rejectMalformed(bytes, text: text)
        let dotIndex = bytes.firstIndex(of: UInt8(ascii: "."))
        let integerDigits = bytes[..<(dotIndex ?? bytes.endIndex)]
        let fraction = dotIndex.map { bytes[($0 + 1)...] } ?? []
        if integerDigits.count > 1, integerDigits.first == UInt8(ascii: "0") { throw .leadingZero }
        guard fraction.count <= fractionDigits else {
            throw .tooManyFractionDigits(found: fraction.count, allowed: fractionDigits)
        }
        // Accumulate digit by digit with overflow checks, then pad the fraction with zeros up to the scale.
        var value: UInt128 = 0
        let padding = repeatElement(UInt8(ascii: "0"), count: fractionDigits - fraction.count)
        for digit in Array(integerDigits) + fraction + padding {
            let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, sumOverflow) = shifted.addingReportingOverflow(UInt128(digit - UInt8(ascii: "0")))
            if shiftOverflow || sumOverflow { throw .overflow }
            value = sum
        }
        return value
    }

    /// Classifies every shape error before any digit is read, so the error names the real problem.
    private static func rejectMalformed(_ bytes: [UInt8], text: String) throws(MoneyError) {
        guard let first = bytes.first, let last = bytes.last else { throw .empty }
        if text.contains(where: \.isWhitespace) { throw .whitespace }
        if first == UInt8(ascii: "-") { throw .negative }
        if first == UInt8(ascii: "+") { throw .leadingPlus }
        let numberLike = bytes.allSatisfy { isDigit($0) || "+-.eE".utf8.contains($0) }
        if numberLike, bytes.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            throw .exponent
        }
        if let bad = text.first(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) {
            throw .invalidCharacter(bad)
        }
        if bytes.count(where: { $0 == UInt8(ascii: ".") }) > 1 { throw .multipleDots }
        if first == UInt8(ascii: ".") { throw .leadingDot }
        if last == UInt8(ascii: ".") { throw .trailingDot }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// Prints `value` units of `10^-fractionDigits`. Canonical form (`trimmed`) drops trailing fractional zeros
    /// and the dot; the fixed form always shows exactly `fractionDigits` fractional digits.
    ///
    /// Works on the digit string rather than dividing by `10^fractionDigits`, because a rate's scale can reach
    /// 48 digits, beyond what `UInt128` holds.
    public static func format(_ value: UInt128, fractionDigits: Int, trimmed: Bool) -> String {
        format(digits: String(value), fractionDigits: fractionDigits, trimmed: trimmed)
    }

    /// Like `format(_:fractionDigits:trimmed:)` for a digit string that may exceed `UInt128`; `digits` must be
    /// ASCII digits without superfluous leading zeros beyond the fraction.
    public static func format(digits: String, fractionDigits: Int, trimmed: Bool) -> String {
        guard fractionDigits > 0 else { return digits }
        let padded = String(repeating: "0", count: max(0, fractionDigits + 1 - digits.count)) + digits
        let integerPart = padded.dropLast(fractionDigits)
        var fractionPart = padded.suffix(fractionDigits)
        if trimmed {
            while fractionPart.last == "0" { fractionPart = fractionPart.dropLast() }
            if fractionPart.isEmpty { return String(integerPart) }
        }
        return integerPart + "." + fractionPart
    }
}
