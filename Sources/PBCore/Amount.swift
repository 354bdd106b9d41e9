/// A non-negative quantity of an asset, held exactly as an integer count of base units.
///
/// `Amount` never holds a fraction of a base unit and never uses floating point. Strings in and out are plain
/// decimals (see `DecimalString` for the grammar): `"0.01"` of a 6-decimal asset is 10000 base units.
/// Arithmetic is checked and throws instead of wrapping or trapping.
public struct Amount: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The count of smallest indivisible units (`10^-decimals` of a whole token).
    public let baseUnits: UInt128
    /// Decimal places of the asset this amount belongs to.
    public let decimals: Int

    /// Zero of the given asset.
    public static func zero(of asset: Asset) -> Amount { Amount(baseUnits: 0, asset: asset) }

    /// An amount of `baseUnits` of an already-validated asset.
    public init(baseUnits: UInt128, asset: Asset) {
        self.baseUnits = baseUnits
        self.decimals = asset.decimals
    }

    /// An amount with explicit decimals, which must be in `Asset.decimalsRange`.
    public init(baseUnits: UInt128, decimals: Int) throws(MoneyError) {
        guard Asset.decimalsRange.contains(decimals) else { throw .decimalsOutOfRange(decimals) }
        self.baseUnits = baseUnits
        self.decimals = decimals
    }

    /// Parses an exact decimal string; more fractional digits than `decimals` is an error, never rounded.
    public init(parsing text: String, decimals: Int) throws(MoneyError) {
        guard Asset.decimalsRange.contains(decimals) else { throw .decimalsOutOfRange(decimals) }
        self.baseUnits = try DecimalString.parse(text, fractionDigits: decimals)
        self.decimals = decimals
    }

    public init(parsing text: String, asset: Asset) throws(MoneyError) {
        try self.init(parsing: text, decimals: asset.decimals)
    }

    public var isZero: Bool { baseUnits == 0 }

    /// Canonical decimal: no trailing fractional zeros, no trailing dot, `"0"` for zero (`"1.5"`).
    public var decimalString: String { DecimalString.format(baseUnits, fractionDigits: decimals, trimmed: true) }

    /// Exactly `decimals` fractional digits (`"1.500000"` for USDC); for ledgers and aligned columns.
    public var fixedDecimalString: String {
        DecimalString.format(baseUnits, fractionDigits: decimals, trimmed: false)
    }

    public var description: String { decimalString }

    public func adding(_ other: Amount) throws(MoneyError) -> Amount {
        try requireSameDecimals(other)
        let (sum, overflow) = baseUnits.addingReportingOverflow(other.baseUnits)
        if overflow { throw .overflow }
        return Amount(unchecked: sum, decimals: decimals)
    }

    public func subtracting(_ other: Amount) throws(MoneyError) -> Amount {
        try requireSameDecimals(other)
        guard baseUnits >= other.baseUnits else { throw .underflow }
        return Amount(unchecked: baseUnits - other.baseUnits, decimals: decimals)
    }

    /// This amount taken `count` times, e.g. a per-call price times the number of calls.
    public func multiplied(by count: UInt64) throws(MoneyError) -> Amount {
        let (product, overflow) = baseUnits.multipliedReportingOverflow(by: UInt128(count))
        if overflow { throw .overflow }
        return Amount(unchecked: product, decimals: decimals)
    }

    /// Orders by value. For equal decimals this is plain base-unit order, which is what money code should use.
    /// Amounts with different decimals are compared by exact value and, when equal in value, by decimals, so
    /// that `<` stays a strict total order consistent with `==` (which compares both fields).
    public static func < (left: Amount, right: Amount) -> Bool {
        if left.decimals == right.decimals { return left.baseUnits < right.baseUnits }
        let finer = max(left.decimals, right.decimals)
        let leftScaled = left.scaled(toDecimals: finer)
        let rightScaled = right.scaled(toDecimals: finer)
        if leftScaled != rightScaled { return leftScaled < rightScaled }
        return left.decimals < right.decimals
    }

    /// Base units expressed at a finer precision, as a 256-bit (high, low) pair that cannot overflow:
    /// `baseUnits < 2^128` and `10^36 < 2^120`.
    private func scaled(toDecimals target: Int) -> (high: UInt128, low: UInt128) {
        var factor: UInt128 = 1
        for _ in 0..<(target - decimals) { factor *= 10 }
        return baseUnits.multipliedFullWidth(by: factor)
    }

    private func requireSameDecimals(_ other: Amount) throws(MoneyError) {
        guard decimals == other.decimals else { throw .decimalsMismatch(decimals, other.decimals) }
    }

    init(unchecked baseUnits: UInt128, decimals: Int) {
        self.baseUnits = baseUnits
        self.decimals = decimals
    }
}

/// Encoded as `{"baseUnits": "10000", "decimals": 6}`: a string, because JSON numbers lose precision past 2^53.
extension Amount: Codable {
    private enum CodingKeys: String, CodingKey { case baseUnits, decimals }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let decimals = try container.decode(Int.self, forKey: .decimals)
        let digits = try container.decode(String.self, forKey: .baseUnits)
        try self.init(baseUnits: DecimalString.parse(digits, fractionDigits: 0), decimals: decimals)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(baseUnits), forKey: .baseUnits)
        try container.encode(decimals, forKey: .decimals)
    }
}
