import PBCore

/// Collects a session's charges in whole base units, carrying each charge's sub-unit rest into the next: the rule of
/// `ChargeAccumulator` (docs/MONEY.md) at the finer precision of `ExactAmount`, which pro-rata time and decimal
/// multipliers need.
///
/// After any sequence of charges: `charged + remainder == exact sum of the charges` (nothing created or lost),
/// `remainder` is below one base unit, and `charged == floor(exact sum)`, the same as pricing the whole session at
/// once. A charge that would overflow throws and leaves the carrier unchanged. A value type: copy it to snapshot.
public struct ChargeCarrier: Hashable, Sendable {
    public let asset: Asset
    /// Whole base units collected so far.
    public private(set) var charged: Amount
    /// The carried rest, in exact units; always below `ExactAmount.unitsPerBaseUnit` (one base unit).
    public private(set) var remainder: ExactAmount
    public private(set) var chargeCount: UInt64

    public init(asset: Asset) {
        self.asset = asset
        charged = .zero(of: asset)
        remainder = .zero(decimals: asset.decimals)
        chargeCount = 0
    }

    /// Restores persisted state; the remainder must be below one base unit, in exact units.
    public init(asset: Asset, charged: Amount, remainderUnits: UInt128, chargeCount: UInt64) throws(PricingError) {
        guard remainderUnits < ExactAmount.unitsPerBaseUnit, charged.decimals == asset.decimals else {
            throw .invalidUsage("the carried remainder must be below one base unit of the carrier's asset")
        }
        self.asset = asset
        self.charged = charged
        self.remainder = ExactAmount(high: 0, low: remainderUnits, decimals: asset.decimals)
        self.chargeCount = chargeCount
    }

    /// Adds a charge and returns the whole base units to collect for it now (possibly zero).
    @discardableResult
    public mutating func collect(_ charge: Charge) throws(PricingError) -> Amount {
        guard charge.asset.decimals == asset.decimals else {
            throw .invalidUsage("a charge in \(charge.asset) cannot be collected in \(asset)")
        }
        let (whole, rest) = try charge.exactTotal.adding(remainder).roundedDown()
        let newCharged: Amount
        do { newCharged = try charged.adding(whole) } catch { throw .overflow }
        charged = newCharged
        remainder = rest
        chargeCount &+= 1
        return whole
    }
}

/// Persisted as `{"charged": {...}, "remainderUnits": "123", "chargeCount": 4}`, digits as a string.
extension ChargeCarrier: Codable {
    private enum CodingKeys: String, CodingKey { case asset, charged, remainderUnits, chargeCount }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let digits = try container.decode(String.self, forKey: .remainderUnits)
        let remainderUnits = try DecimalString.parse(digits, fractionDigits: 0)
        try self.init(
            asset: container.decode(Asset.self, forKey: .asset), charged: container.decode(Amount.self, forKey: .charged),
            remainderUnits: remainderUnits, chargeCount: container.decode(UInt64.self, forKey: .chargeCount))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(asset, forKey: .asset)
        try container.encode(charged, forKey: .charged)
        try container.encode(String(remainder.low), forKey: .remainderUnits)
        try container.encode(chargeCount, forKey: .chargeCount)
    }
}
