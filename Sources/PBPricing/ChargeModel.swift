import PBCore

/// One row of a tier table: the units up to `upTo` (cumulative, inclusive; nil for the open-ended last tier) cost
/// `rate` each, and entering the tier costs `flatFee` once.
public struct PriceTier: Hashable, Sendable {
    /// The last unit of this tier, counted from the first unit of the charge (or period); nil for the last tier.
    public let upTo: UInt64?
    public let rate: Rate
    /// Charged once when usage reaches this tier's first unit (graduated) or falls in this tier (volume).
    public let flatFee: Amount?

    public init(upTo: UInt64?, rate: Rate, flatFee: Amount? = nil) {
        self.upTo = upTo
        self.rate = rate
        self.flatFee = flatFee
    }
}

/// How a quantity becomes an amount, as Lago defines the models.
///
/// - `standard`: quantity x rate.
/// - `graduated`: each tier's units at that tier's rate (the first 1,000 at 0.01, the next at 0.008 ...), plus the
///   flat fee of every tier reached.
/// - `volume`: all units at the rate of the one tier the total falls in, plus that tier's flat fee.
/// - `package`: `price` per started package of `size` units; a partial package costs a whole one (rounded UP:
///   1,001 units in packages of 1,000 are two packages).
///
/// Built only through the throwing factories, which reject unsorted or overlapping tiers, a missing open-ended last
/// tier and a zero package size, naming the field (`tiers[1].upTo`, `packageSize`).
public struct ChargeModel: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case standard, graduated, volume, package
    }

    public let kind: Kind
    /// The rate of a standard model; nil otherwise.
    public let rate: Rate?
    /// The tier table of a graduated or volume model; empty otherwise.
    public let tiers: [PriceTier]
    /// Units per package of a package model; nil otherwise.
    public let packageSize: UInt64?
    /// The price of one package of a package model; nil otherwise.
    public let packagePrice: Rate?

    private init(kind: Kind, rate: Rate?, tiers: [PriceTier], packageSize: UInt64?, packagePrice: Rate?) {
        self.kind = kind
        self.rate = rate
        self.tiers = tiers
        self.packageSize = packageSize
        self.packagePrice = packagePrice
    }

    public static func standard(rate: Rate) -> ChargeModel {
        ChargeModel(kind: .standard, rate: rate, tiers: [], packageSize: nil, packagePrice: nil)
    }

    public static func graduated(tiers: [PriceTier]) throws(PricingError) -> ChargeModel {
        try validate(tiers)
        return ChargeModel(kind: .graduated, rate: nil, tiers: tiers, packageSize: nil, packagePrice: nil)
    }

    public static func volume(tiers: [PriceTier]) throws(PricingError) -> ChargeModel {
        try validate(tiers)
        return ChargeModel(kind: .volume, rate: nil, tiers: tiers, packageSize: nil, packagePrice: nil)
    }

    /// `price` per package of `size` units; partial packages are charged as whole ones.
    public static func package(size: UInt64, price: Rate) throws(PricingError) -> ChargeModel {
        guard size > 0 else { throw .invalid("packageSize", "is zero; a package holds at least one unit") }
        return ChargeModel(kind: .package, rate: nil, tiers: [], packageSize: size, packagePrice: price)
    }

    /// Tiers must ascend strictly from a first bound above zero, and only the last may (and must) be open-ended.
    private static func validate(_ tiers: [PriceTier]) throws(PricingError) {
        guard !tiers.isEmpty else { throw .invalid("tiers", "needs at least one tier") }
        var previous: UInt64 = 0
        for (index, tier) in tiers.enumerated() {
            let isLast = index == tiers.count - 1
            guard let upTo = tier.upTo else {
                if isLast { break }
                throw .invalid("tiers[\(index)].upTo", "only the last tier may be open-ended")
            }
            guard !isLast else {
                throw .invalid("tiers[\(index)].upTo", "the last tier must be open-ended (no upTo) so every quantity has a price")
            }
            guard upTo > previous else {
                let message = index == 0
                    ? "is 0; the first tier must hold at least one unit"
                    : "is \(upTo), not above tiers[\(index - 1)].upTo (\(previous)); tiers must be sorted and not overlap"
                throw .invalid("tiers[\(index)].upTo", message)
            }
            previous = upTo
        }
    }

    /// Every price in the model, with its field path, so a plan can check they are all of its asset.
    var pricedFields: [(field: String, decimals: Int)] {
        var fields: [(String, Int)] = []
        if let rate { fields.append(("rate", rate.decimals)) }
        if let packagePrice { fields.append(("packagePrice", packagePrice.decimals)) }
        for (index, tier) in tiers.enumerated() {
            fields.append(("tiers[\(index)].rate", tier.rate.decimals))
            if let flatFee = tier.flatFee { fields.append(("tiers[\(index)].flatFee", flatFee.decimals)) }
        }
        return fields
    }
}
