import PBCore

/// One line of a charge's breakdown: a quantity at a rate and multiplier, and exactly what it is worth.
///
/// `exactAmount == rate x quantity x multiplier` (per metered unit for usage lines), exactly, in `ExactAmount`'s
/// units; free-unit lines are worth zero and a minimum line is worth the shortfall up to the minimum.
public struct ChargeLine: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Metered usage at a per-unit rate (standard, a graduated or volume tier, or an override price).
        case usage
        /// A tier's flat fee; `quantity` is 1 and `rate` is the fee.
        case flatFee
        /// Started packages; `quantity` is the count of packages and `rate` the price of one.
        case package
        /// Usage covered by free units; worth zero.
        case free
        /// The shortfall up to the unit's minimum; `rate` is nil.
        case minimum
    }

    public let unit: PricingUnit
    public let kind: Kind
    /// The dimension value of the price used, if the price was per dimension.
    public let dimension: DimensionValue?
    /// What `rate` is multiplied by: metered usage (count or milliseconds) for usage and free lines, packages for a
    /// package line, 1 for a flat fee or a minimum.
    public let quantity: UInt64
    /// The metered usage (count or milliseconds) this line covers; 0 for a flat fee or minimum.
    public let meteredQuantity: UInt64
    /// Per configured unit (per hour for an hourly price, per package, per fee); nil for a minimum line.
    public let rate: Rate?
    /// Peak window times override multiplier; `1` when neither applies.
    public let multiplier: Multiplier
    /// Index of the tier in the price's tier table, for graduated and volume lines.
    public let tier: Int?
    /// The peak window whose multiplier applied.
    public let peakWindow: String?
    /// The oracle override that changed the price.
    public let overrideId: String?
    /// For time usage: the part of the interval this line prices, `[intervalStart, intervalEnd)`.
    public let intervalStart: UnixTime?
    public let intervalEnd: UnixTime?
    public let exactAmount: ExactAmount

    /// The rule that produced the line in words, e.g. `graduated tier 1, peak 'evening' x1.5, override 'promo'`.
    public var ruleDescription: String {
        var parts: [String] = [tier.map { "\(kind == .usage ? "" : "\(kind.rawValue) ")tier \($0)" } ?? kind.rawValue]
        if let peakWindow { parts.append("peak '\(peakWindow)'") }
        if let overrideId { parts.append("override '\(overrideId)'") }
        if !multiplier.isOne { parts.append("x\(multiplier)") }
        return parts.joined(separator: ", ")
    }
}

/// The price of one usage event: its breakdown lines and their exact sum, rounded down to whole base units.
///
/// `total` is `exactTotal` rounded DOWN and `remainder` the sub-unit rest (below one base unit), which the caller
/// carries into the next charge (`ChargeCarrier`) so that nothing is created or lost over a session.
public struct Charge: Hashable, Sendable {
    public let asset: Asset
    public let lines: [ChargeLine]
    /// The exact sum of every line's `exactAmount`.
    public let exactTotal: ExactAmount
    /// `exactTotal` rounded down to whole base units.
    public let total: Amount
    /// `exactTotal - total`: less than one base unit.
    public let remainder: ExactAmount

    init(asset: Asset, lines: [ChargeLine]) throws(PricingError) {
        var sum = ExactAmount.zero(decimals: asset.decimals)
        for line in lines { sum = try sum.adding(line.exactAmount) }
        let (whole, rest) = try sum.roundedDown()
        assert(try! ExactAmount(whole).adding(rest) == sum, "a charge's total and remainder must add up to its lines")
        self.asset = asset
        self.lines = lines
        self.exactTotal = sum
        self.total = whole
        self.remainder = rest
    }
}
