import PBCore

/// A dimension a price is specific to, e.g. `gpu` = `H100` or `model` = `large`.
public struct DimensionValue: Hashable, Sendable, CustomStringConvertible {
    public let key: String
    public let value: String

    public init(key: String, value: String) throws(PricingError) {
        guard !key.isEmpty, !value.isEmpty else { throw .invalid("dimension", "needs a non-empty key and value") }
        self.key = key
        self.value = value
    }

    public var description: String { "\(key)=\(value)" }
}

/// The price of one unit within a plan: its charge model, the free units before it, the minimum per charge, and
/// optionally the one dimension value it is for (the `H100` price of `second`; a plan may also hold a fallback
/// price of the same unit without a dimension).
///
/// Quantities written in the unit (tier bounds, free units, package size) are converted to metered quantities
/// (milliseconds for time units) when the price is built, so overflow is found here and not mid-charge.
public struct UnitPrice: Hashable, Sendable {
    public let unit: PricingUnit
    public let dimension: DimensionValue?
    public let model: ChargeModel
    /// Units of each period (or, with no prior usage given, of each charge) that are free.
    public let freeUnits: UInt64
    /// The least a charge of this unit costs once any billable usage (beyond the free units) is in it.
    public let minimum: Amount?

    /// Tier bounds in metered quantity, `[lower, upper)`, the last one open (`nil`).
    let meteredTierBounds: [(lower: UInt64, upper: UInt64?)]
    let meteredPackageSize: UInt64
    let meteredFreeUnits: UInt64

    public init(
        unit: PricingUnit, dimension: DimensionValue? = nil, model: ChargeModel, freeUnits: UInt64 = 0,
        minimum: Amount? = nil
    ) throws(PricingError) {
        self.unit = unit
        self.dimension = dimension
        self.model = model
        self.freeUnits = freeUnits
        self.minimum = minimum
        let scale = unit.meteredPerUnit
        func metered(_ quantity: UInt64, field: String) throws(PricingError) -> UInt64 {
            let (product, overflow) = quantity.multipliedReportingOverflow(by: scale)
            guard !overflow else {
                throw .invalid(field, "\(quantity) \(unit)s do not fit in 64 bits of milliseconds")
            }
            return product
        }
        meteredFreeUnits = try metered(freeUnits, field: "freeUnits")
        meteredPackageSize = try metered(model.packageSize ?? 0, field: "packageSize")
        var bounds: [(UInt64, UInt64?)] = []
        var lower: UInt64 = 0
        for (index, tier) in model.tiers.enumerated() {
            var upper: UInt64?
            if let upTo = tier.upTo { upper = try metered(upTo, field: "tiers[\(index)].upTo") }
            bounds.append((lower, upper))
            lower = upper ?? lower
        }
        meteredTierBounds = bounds
    }

    /// Every price of this unit with its field path, for the plan's asset check.
    var pricedFields: [(field: String, decimals: Int)] {
        model.pricedFields + (minimum.map { [("minimum", $0.decimals)] } ?? [])
    }

    public static func == (left: UnitPrice, right: UnitPrice) -> Bool {
        (left.unit, left.dimension, left.model, left.freeUnits, left.minimum)
            == (right.unit, right.dimension, right.model, right.freeUnits, right.minimum)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(unit)
        hasher.combine(dimension)
        hasher.combine(model)
        hasher.combine(freeUnits)
        hasher.combine(minimum)
    }
}
