import PBPricing

/// Where a request's value of one pricing dimension comes from: a request header, or the path segment matched by
/// one of the route path's `*` wildcards (1 is the first). Exactly one is set.
public struct DimensionSource: Sendable, Hashable, Codable {
    public var header: String?
    public var wildcard: Int?

    public init(header: String? = nil, wildcard: Int? = nil) {
        self.header = header
        self.wildcard = wildcard
    }
}

/// A route's pricing in its configuration form (`pricing:` in pb.yaml, `routes[].pricing` on the services API): the
/// price plan, the usage one request is priced at, and where per-dimension values are read from.
///
/// Without `hold` a request is one `call` and is charged the quoted price. With `hold` the route is
/// authorize-then-capture: the 402 asks for the plan's price of the hold usage, the payment is held, and the usage
/// the upstream reports is captured (docs/PRICING.md, "The gateway").
public struct RoutePlan: Sendable, Hashable, Codable {
    /// Seconds a hold stays capturable when the route does not say.
    public static let defaultHoldSeconds = 300

    public var plan: PricePlanConfig
    /// The most usage one call may report, by unit name (`input_token: 4000`), in the unit (`second: 60`).
    public var hold: [String: UInt64]?
    /// How long an uncaptured hold stays open before it is released.
    public var holdSeconds: Int?
    /// Dimension key to source, e.g. `model: {header: X-Model}`.
    public var dimensions: [String: DimensionSource]?

    public init(
        plan: PricePlanConfig, hold: [String: UInt64]? = nil, holdSeconds: Int? = nil,
        dimensions: [String: DimensionSource]? = nil
    ) {
        self.plan = plan
        self.hold = hold
        self.holdSeconds = holdSeconds
        self.dimensions = dimensions
    }

    /// A per-call plan at `rate`: what a route's simple `price` means.
    public static func perCall(rate: String, decimals: Int) -> RoutePlan {
        RoutePlan(plan: PricePlanConfig(decimals: decimals, prices: [UnitPriceConfig(unit: "call", rate: rate)]))
    }
}
