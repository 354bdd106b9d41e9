import PBCore

/// Everything that prices the usage of one route: per-unit prices (optionally per dimension value), the peak
/// schedule, and the asset all prices are in. Validated when built; pricing with it is pure and never fails for a
/// reason the plan could have revealed earlier.
///
/// Price usage with `charge(_:overrides:honouring:)` (PricePlan+Charging.swift) and quote it with
/// `quote(_:overrides:now:lifetimeSeconds:)` (PriceQuote.swift). The config format is `PricePlanConfig`.
public struct PricePlan: Hashable, Sendable {
    public let asset: Asset
    public let prices: [UnitPrice]
    public let peakSchedule: PeakSchedule?
    private let lookup: [PricingUnit: UnitLookup]

    /// Where the prices of one unit are: by the value of its one dimension key, and the fallback without one.
    private struct UnitLookup: Hashable, Sendable {
        var dimensionKey: String?
        var byValue: [String: Int] = [:]
        var fallback: Int?
    }

    /// Errors name the field: `prices`, `prices[i].dimension`, `prices[i].tiers[j].rate` (a price in another asset).
    public init(asset: Asset, prices: [UnitPrice], peakSchedule: PeakSchedule? = nil) throws(PricingError) {
        guard !prices.isEmpty else { throw .invalid("prices", "a plan needs at least one price") }
        var lookup: [PricingUnit: UnitLookup] = [:]
        for (index, price) in prices.enumerated() {
            let field = "prices[\(index)]"
            for (pricedField, decimals) in price.pricedFields where decimals != asset.decimals {
                throw .invalid(
                    "\(field).\(pricedField)", "has \(decimals) decimals but the plan's asset \(asset.symbol) has \(asset.decimals)")
            }
            var entry = lookup[price.unit] ?? UnitLookup()
            if let dimension = price.dimension {
                if let key = entry.dimensionKey, key != dimension.key {
                    throw .invalid(
                        "\(field).dimension",
                        "prices '\(price.unit)' by '\(dimension.key)' but an earlier price of it is by '\(key)'; one dimension per unit")
                }
                if let earlier = entry.byValue[dimension.value] {
                    throw .invalid("\(field).dimension", "repeats prices[\(earlier)] (\(dimension))")
                }
                entry.dimensionKey = dimension.key
                entry.byValue[dimension.value] = index
            } else {
                if let earlier = entry.fallback {
                    throw .invalid("\(field).unit", "'\(price.unit)' already has a price without a dimension (prices[\(earlier)])")
                }
                entry.fallback = index
            }
            lookup[price.unit] = entry
        }
        self.asset = asset
        self.prices = prices
        self.peakSchedule = peakSchedule
        self.lookup = lookup
    }

    /// The price of `unit` for these dimension values: the one for the value of the unit's dimension key if there is
    /// one, else the unit's fallback price.
    public func price(of unit: PricingUnit, dimensions: [String: String]) throws(PricingError) -> UnitPrice {
        guard let entry = lookup[unit] else { throw .unpriced("the plan has no price for '\(unit)'") }
        if let key = entry.dimensionKey, let value = dimensions[key], let index = entry.byValue[value] {
            return prices[index]
        }
        if let fallback = entry.fallback { return prices[fallback] }
        let key = entry.dimensionKey ?? ""
        let given = dimensions[key].map { "'\($0)'" } ?? "no value"
        let known = entry.byValue.keys.sorted().joined(separator: ", ")
        throw .unpriced("'\(unit)' is priced by \(key) (\(known)) and the usage has \(given)")
    }
}
