import PBCore

/// An exact money value, finer than a `Rate`'s scaled unit: what a charge line is worth before any rounding.
///
/// Pro-rata time pricing and decimal multipliers produce fractions of a scaled unit (10^-(decimals + 12) of a
/// token): an hourly rate for one millisecond is 1/3,600,000 of it, and a 1.5 multiplier halves odd values. So exact
/// amounts count *exact units*, with one scaled unit = 3.6 x 10^18 exact units = 3,600,000 (milliseconds per hour)
/// x 10^12 (the multiplier scale). Every line of every charge is then a whole number of exact units: sums are exact,
/// and splitting an interval loses nothing. One USDC is 3.6 x 10^36 exact units, so the count is 256 bits wide
/// (`high`, `low`); arithmetic is checked and throws `overflow` instead of wrapping.
public struct ExactAmount: Hashable, Sendable, Comparable, CustomStringConvertible {
    static let millisecondsPerHour: UInt64 = 3_600_000
    /// Exact units in one scaled unit of a `Rate`: 3.6 x 10^18.
    public static let unitsPerScaledUnit: UInt128 = UInt128(millisecondsPerHour) * Multiplier.trillionthsPerOne
    /// Exact units in one base unit of the asset: 3.6 x 10^30 (still below 2^128).
    public static let unitsPerBaseUnit: UInt128 = unitsPerScaledUnit * 1_000_000_000_000

    /// The upper and lower 128 bits of the count of exact units.
    public let high: UInt128
    public let low: UInt128
    /// Decimal places of the asset.
    public let decimals: Int

    public static func zero(decimals: Int) -> ExactAmount { ExactAmount(high: 0, low: 0, decimals: decimals) }

    init(high: UInt128, low: UInt128, decimals: Int) {
        self.high = high
        self.low = low
        self.decimals = decimals
    }

    /// `left * right` exact units, which cannot overflow 256 bits.
    init(product left: UInt128, _ right: UInt128, decimals: Int) {
        let (high, low) = left.multipliedFullWidth(by: right)
        self.init(high: high, low: low, decimals: decimals)
    }

    /// A whole amount of base units, exactly.
    public init(_ amount: Amount) {
        self.init(product: amount.baseUnits, Self.unitsPerBaseUnit, decimals: amount.decimals)
    }

    public var isZero: Bool { high == 0 && low == 0 }

    func multiplied(by factor: UInt128) throws(PricingError) -> ExactAmount {
        let lowProduct = low.multipliedFullWidth(by: factor)
        let highProduct = high.multipliedFullWidth(by: factor)
        let (newHigh, carryOverflow) = lowProduct.high.addingReportingOverflow(highProduct.low)
        guard highProduct.high == 0, !carryOverflow else { throw .overflow }
        return ExactAmount(high: newHigh, low: lowProduct.low, decimals: decimals)
    }

    public func adding(_ other: ExactAmount) throws(PricingError) -> ExactAmount {
        let (newLow, lowCarry) = low.addingReportingOverflow(other.low)
        let (partialHigh, highOverflow) = high.addingReportingOverflow(other.high)
        let (newHigh, carryOverflow) = partialHigh.addingReportingOverflow(lowCarry ? 1 : 0)
        guard !highOverflow, !carryOverflow else { throw .overflow }
        return ExactAmount(high: newHigh, low: newLow, decimals: decimals)
    }

    /// `self - other`; the caller guarantees `other <= self` (a minimum's shortfall, a rounded-off whole).
    func subtracting(_ other: ExactAmount) -> ExactAmount {
        let (newLow, borrow) = low.subtractingReportingOverflow(other.low)
        return ExactAmount(high: high - other.high - (borrow ? 1 : 0), low: newLow, decimals: decimals)
    }

    /// Splits into whole base units (rounded down) and the sub-unit rest, which is below one base unit.
    public func roundedDown() throws(PricingError) -> (whole: Amount, remainder: ExactAmount) {
        guard high < Self.unitsPerBaseUnit else { throw .overflow }
        let (whole, rest) = Self.unitsPerBaseUnit.dividingFullWidth((high, low))
        let amount: Amount
        do { amount = try Amount(baseUnits: whole, decimals: decimals) } catch { throw .overflow }
        return (amount, ExactAmount(high: 0, low: rest, decimals: decimals))
    }

    /// Long division by a 128-bit divisor: the quotient (256 bits) and the remainder.
    func divided(by divisor: UInt128) -> (quotient: ExactAmount, remainder: UInt128) {
        let (highQuotient, highRest) = high.quotientAndRemainder(dividingBy: divisor)
        let (lowQuotient, rest) = divisor.dividingFullWidth((highRest, low))
        return (ExactAmount(high: highQuotient, low: lowQuotient, decimals: decimals), rest)
    }

    /// The count of exact units in decimal digits: the machine-readable form (divide by `unitsPerBaseUnit` for base
    /// units).
    public var unitsString: String {
        let chunkSize: UInt128 = 10_000_000_000_000_000_000  // 10^19, the largest power of ten below 2^64
        var chunks: [UInt128] = []
        var rest = self
        repeat {
            let (quotient, chunk) = rest.divided(by: chunkSize)
            chunks.append(chunk)
            rest = quotient
        } while !rest.isZero
        let leading = String(chunks.removeLast())
        return chunks.reversed().reduce(leading) { text, chunk in
            let digits = String(chunk)
            return text + String(repeating: "0", count: 19 - digits.count) + digits
        }
    }

    /// True when the value is a terminating decimal of whole tokens; exact units over 3.6 x 10^18 terminate exactly
    /// when the count is a multiple of 9 (3.6 = 2^2 x 3^2 / 10).
    public var isTerminatingDecimal: Bool { divided(by: 9).remainder == 0 }

    /// The value in whole tokens, e.g. `"2.625"`; a non-terminating value (1 ms of 1 base unit per hour) is printed
    /// to 19 digits past the scaled unit, rounded down, with a trailing `…`.
    public var decimalString: String {
        // units / (3.6e18 * 10^(decimals + 12)) = (units / 9) * 25 / 10^(19 + decimals + 12).
        let (ninths, rest) = divided(by: 9)
        let digits: String
        do { digits = try ninths.multiplied(by: 25).unitsString } catch {
            // Only values above 2^256 * 9 / 25 get here (no real charge): print the exact fraction instead.
            return "\(unitsString)/\(Self.unitsPerBaseUnit) base units"
        }
        let text = DecimalString.format(
            digits: digits, fractionDigits: 19 + decimals + Rate.scaleDigits, trimmed: true)
        return rest == 0 ? text : text + "…"
    }

    public var description: String { decimalString }

    public static func < (left: ExactAmount, right: ExactAmount) -> Bool {
        (left.high, left.low) < (right.high, right.low)
    }
}
