import PBCore

/// How much of one unit a usage event consumed, and how much of it was already metered earlier in the period.
///
/// `quantity` and `priorQuantity` are metered quantities: counts for count units, milliseconds for time units.
/// `priorQuantity` places this usage after earlier usage, so graduated tiers, packages and free units continue
/// where the period left off instead of starting again with every request. Zero means "price this charge alone".
public struct UsageQuantity: Hashable, Sendable {
    public let unit: PricingUnit
    public let quantity: UInt64
    public let priorQuantity: UInt64

    public init(unit: PricingUnit, quantity: UInt64, priorQuantity: UInt64 = 0) {
        self.unit = unit
        self.quantity = quantity
        self.priorQuantity = priorQuantity
    }
}

/// One metered event: what was consumed, when, and the dimension values that select per-dimension prices.
///
/// For a time unit the usage is the interval `[at, at + quantity ms)`, which is split wherever a peak window or an
/// override starts or ends. A count unit is consumed at the instant `at`.
public struct UsageEvent: Hashable, Sendable {
    /// The instant of a count usage; the start of a time usage.
    public let at: UnixTime
    public let quantities: [UsageQuantity]
    /// Dimension values such as `["gpu": "H100"]`.
    public let dimensions: [String: String]

    public init(at: UnixTime, quantities: [UsageQuantity], dimensions: [String: String] = [:]) {
        self.at = at
        self.quantities = quantities
        self.dimensions = dimensions
    }

    /// A single count usage, e.g. one call or 1,200 output tokens.
    public static func count(
        _ quantity: UInt64, of unit: PricingUnit, at time: UnixTime, priorQuantity: UInt64 = 0,
        dimensions: [String: String] = [:]
    ) -> UsageEvent {
        UsageEvent(
            at: time, quantities: [UsageQuantity(unit: unit, quantity: quantity, priorQuantity: priorQuantity)],
            dimensions: dimensions)
    }

    /// A time usage from `start` to `end` priced per `unit` (second, minute or hour); throws if it is not a time
    /// unit or `end` is before `start`.
    public static func interval(
        from start: UnixTime, to end: UnixTime, pricedPer unit: PricingUnit, priorMilliseconds: UInt64 = 0,
        dimensions: [String: String] = [:]
    ) throws(PricingError) -> UsageEvent {
        guard unit.isTime else { throw .invalidUsage("unit '\(unit)' is not a time unit; meter it as a count") }
        let (difference, overflow) = end.milliseconds.subtractingReportingOverflow(start.milliseconds)
        guard !overflow, difference >= 0 else { throw .invalidUsage("interval ends before it starts") }
        let duration = UInt64(difference)
        return UsageEvent(
            at: start, quantities: [UsageQuantity(unit: unit, quantity: duration, priorQuantity: priorMilliseconds)],
            dimensions: dimensions)
    }

    /// A chat completion: input and output tokens, priced separately.
    public static func tokens(
        input: UInt64, output: UInt64, at time: UnixTime, dimensions: [String: String] = [:]
    ) -> UsageEvent {
        UsageEvent(
            at: time,
            quantities: [
                UsageQuantity(unit: .inputToken, quantity: input), UsageQuantity(unit: .outputToken, quantity: output),
            ],
            dimensions: dimensions)
    }
}
