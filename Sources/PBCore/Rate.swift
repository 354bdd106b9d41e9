/// A price per unit of usage (per token, per call, per second), with 12 more decimals than the asset.
///
/// LLM token prices are fractions of a base unit: 0.00000015 USDC per token is 0.15 base units. A rate keeps
/// `Rate.scaleDigits` extra decimal places so such prices are exact; the value is an integer count of
/// `10^-(decimals + 12)` of a whole token. Twelve digits resolve a millionth of a millionth of a base unit,
/// finer than any published per-token price, while a 6-decimal rate still fits `UInt128` up to ~3.4e20 tokens.
public struct Rate: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Extra decimal places beyond the asset's: one base unit is `10^scaleDigits` scaled units.
    public static let scaleDigits = 12

    /// Scaled units per unit of usage: `10^-(decimals + scaleDigits)` of a whole token each.
    public let scaledUnits: UInt128
    /// Decimal places of the asset (not including `scaleDigits`).
    public let decimals: Int

    /// Scaled units in one base unit of the asset: `10^12`.
    static let scaledUnitsPerBaseUnit: UInt128 = 1_000_000_000_000

    public init(scaledUnits: UInt128, decimals: Int) throws(MoneyError) {
        guard Asset.decimalsRange.contains(decimals) else { throw .decimalsOutOfRange(decimals) }
        self.scaledUnits = scaledUnits
        self.decimals = decimals
    }

    public init(scaledUnits: UInt128, asset: Asset) {
        self.scaledUnits = scaledUnits
        self.decimals = asset.decimals
    }

    /// Parses a decimal price in whole tokens per unit, e.g. `"0.00000015"`; up to `decimals + 12` fractional
    /// digits, same grammar and errors as `Amount`.
    public init(parsing text: String, decimals: Int) throws(MoneyError) {
        guard Asset.decimalsRange.contains(decimals) else { throw .decimalsOutOfRange(decimals) }
        self.scaledUnits = try DecimalString.parse(text, fractionDigits: decimals + Self.scaleDigits)
        self.decimals = decimals
    }

    public init(parsing text: String, asset: Asset) throws(MoneyError) {
        try self.init(parsing: text, decimals: asset.decimals)
    }

    /// A rate equal to a whole amount per unit (a flat per-call price), or `overflow` if it cannot be scaled.
    public init(perUnit amount: Amount) throws(MoneyError) {
        let (scaled, overflow) = amount.baseUnits.multipliedReportingOverflow(by: Self.scaledUnitsPerBaseUnit)
        if overflow { throw .overflow }
        self.scaledUnits = scaled
        self.decimals = amount.decimals
    }

    public var isZero: Bool { scaledUnits == 0 }

    /// Canonical decimal in whole tokens, e.g. `"0.00000015"`.
    public var decimalString: String {
        DecimalString.format(scaledUnits, fractionDigits: decimals + Self.scaleDigits, trimmed: true)
    }

    public var description: String { decimalString }

    /// Compares prices; rates of different decimals are ordered by decimals first (they are different assets).
    public static func < (left: Rate, right: Rate) -> Bool {
        (left.decimals, left.scaledUnits) < (right.decimals, right.scaledUnits)
    }
}

/// Encoded as `{"scaledUnits": "150000000000", "decimals": 6}`, digits as a string like `Amount`.
extension Rate: Codable {
    private enum CodingKeys: String, CodingKey { case scaledUnits, decimals }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let digits = try container.decode(String.self, forKey: .scaledUnits)
        try self.init(
            scaledUnits: DecimalString.parse(digits, fractionDigits: 0),
            decimals: container.decode(Int.self, forKey: .decimals))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(scaledUnits), forKey: .scaledUnits)
        try container.encode(decimals, forKey: .decimals)
    }
}
