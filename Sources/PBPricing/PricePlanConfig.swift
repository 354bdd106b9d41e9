/// The configuration form of a `PricePlan`: plain values and exact decimal strings, what the gateway's YAML or JSON
/// maps onto (config and management API only, never the pricing hot path).
///
/// ```yaml
/// asset: USDC
/// decimals: 6
/// timeZone: Europe/Berlin
/// peakWindows:
///   - {name: evening, days: [mon, tue, wed, thu, fri], from: "18:00", to: "22:00", multiplier: "1.5"}
/// prices:
///   - {unit: input_token, rate: "0.000002"}
///   - {unit: second, dimension: {gpu: H100}, rate: "0.002"}
///   - unit: output_token
///     model: graduated
///     tiers: [{upTo: 1000, rate: "0.00001", flatFee: "0.01"}, {rate: "0.000008"}]
///     freeUnits: 100
///     minimum: "0.001"
///   - {unit: byte, model: package, packageSize: 1000000, packagePrice: "0.01"}
/// ```
///
/// `PricePlan(config:)` validates it, naming the field of any error (`prices[2].tiers[1].upTo`).
public struct PricePlanConfig: Codable, Hashable, Sendable {
    /// The asset's symbol; `USDC` when absent.
    public var asset: String?
    /// The asset's decimals; 6 when absent.
    public var decimals: Int?
    /// The IANA zone of the peak windows' local times; required with `peakWindows`.
    public var timeZone: String?
    public var peakWindows: [PeakWindowConfig]?
    public var prices: [UnitPriceConfig]

    public init(
        asset: String? = nil, decimals: Int? = nil, timeZone: String? = nil, peakWindows: [PeakWindowConfig]? = nil,
        prices: [UnitPriceConfig]
    ) {
        self.asset = asset
        self.decimals = decimals
        self.timeZone = timeZone
        self.peakWindows = peakWindows
        self.prices = prices
    }
}

public struct PeakWindowConfig: Codable, Hashable, Sendable {
    public var name: String
    /// `mon` ... `sun`.
    public var days: [String]
    /// `HH:MM` or `HH:MM:SS`, local time, inclusive.
    public var from: String
    /// `HH:MM` or `HH:MM:SS`, local time, exclusive; earlier than `from` closes the next day.
    public var to: String
    /// An exact decimal such as `"1.5"`, at most 6 fractional digits, not zero.
    public var multiplier: String

    public init(name: String, days: [String], from: String, to: String, multiplier: String) {
        self.name = name
        self.days = days
        self.from = from
        self.to = to
        self.multiplier = multiplier
    }
}

public struct UnitPriceConfig: Codable, Hashable, Sendable {
    /// `call`, `input_token`, `output_token`, `second`, `minute`, `hour`, `byte` or `custom:NAME`.
    public var unit: String
    /// One `key: value`, e.g. `{gpu: H100}`; absent for the unit's fallback price.
    public var dimension: [String: String]?
    /// `standard` (default), `graduated`, `volume` or `package`.
    public var model: String?
    /// Per unit, for `standard`.
    public var rate: String?
    /// For `graduated` and `volume`.
    public var tiers: [PriceTierConfig]?
    /// Units per package, for `package`.
    public var packageSize: UInt64?
    /// Price of one package, for `package`.
    public var packagePrice: String?
    public var freeUnits: UInt64?
    public var minimum: String?

    public init(
        unit: String, dimension: [String: String]? = nil, model: String? = nil, rate: String? = nil,
        tiers: [PriceTierConfig]? = nil, packageSize: UInt64? = nil, packagePrice: String? = nil,
        freeUnits: UInt64? = nil, minimum: String? = nil
    ) {
        self.unit = unit
        self.dimension = dimension
        self.model = model
        self.rate = rate
        self.tiers = tiers
        self.packageSize = packageSize
        self.packagePrice = packagePrice
        self.freeUnits = freeUnits
        self.minimum = minimum
    }
}

public struct PriceTierConfig: Codable, Hashable, Sendable {
    /// The tier's last unit, inclusive; absent on the last tier.
    public var upTo: UInt64?
    public var rate: String
    public var flatFee: String?

    public init(upTo: UInt64? = nil, rate: String, flatFee: String? = nil) {
        self.upTo = upTo
        self.rate = rate
        self.flatFee = flatFee
    }
}

/// The management-API form of a `RateOverride`: exactly one of `multiplier` and `price`, times in Unix milliseconds.
public struct RateOverrideConfig: Codable, Hashable, Sendable {
    public var id: String
    public var service: String?
    public var route: String?
    public var unit: String?
    public var multiplier: String?
    public var price: String?
    public var notBeforeMilliseconds: Int64?
    public var notAfterMilliseconds: Int64?

    public init(
        id: String, service: String? = nil, route: String? = nil, unit: String? = nil, multiplier: String? = nil,
        price: String? = nil, notBeforeMilliseconds: Int64? = nil, notAfterMilliseconds: Int64? = nil
    ) {
        self.id = id
        self.service = service
        self.route = route
        self.unit = unit
        self.multiplier = multiplier
        self.price = price
        self.notBeforeMilliseconds = notBeforeMilliseconds
        self.notAfterMilliseconds = notAfterMilliseconds
    }
}
