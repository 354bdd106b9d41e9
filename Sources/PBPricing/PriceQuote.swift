import PBCore

/// A price promised for a described usage: the charge (with its breakdown and the rule of every line), when it was
/// made, until when it is honoured, and the oracle overrides it was made with.
///
/// A quote expires at the earliest of `quotedAt + lifetime` and the next instant the terms could change (a peak
/// window opening or closing, an override starting or ending). Until then, `PricePlan.charge(_:overrides:honouring:)`
/// prices usage in the quote's validity with the quote's overrides, so an oracle push after the quote cannot change
/// the price the client agreed to. Authorize-then-capture: quote the largest usage, hold `price`, then charge the
/// actual usage honouring the quote; with monotone models (every model here) the capture is at most the hold.
public struct PriceQuote: Hashable, Sendable {
    public let charge: Charge
    public let quotedAt: UnixTime
    /// The first instant at which the quote is no longer honoured.
    public let expiresAt: UnixTime
    /// The overrides in force when quoted, applied to usage inside the quote's validity.
    public let overrides: [RateOverride]

    /// The quoted price in whole base units (rounded down, like every charge).
    public var price: Amount { charge.total }

    /// Whether the quote still holds at `now`: `quotedAt <= now < expiresAt`.
    public func isHonoured(at now: UnixTime) -> Bool { quotedAt <= now && now < expiresAt }
}

extension PricePlan {
    /// Quotes `event` at `now` with the overrides that apply to this route; the quote lives at most `lifetimeSeconds`.
    public func quote(
        _ event: UsageEvent, overrides: [RateOverride] = [], now: UnixTime, lifetimeSeconds: Int64
    ) throws(PricingError) -> PriceQuote {
        guard lifetimeSeconds > 0, lifetimeSeconds < Self.latestMilliseconds / 1000,
            abs(now.milliseconds) < Self.latestMilliseconds
        else { throw .invalidUsage("a quote needs a positive lifetime and a time before the year 10000") }
        let limit = now.milliseconds + lifetimeSeconds * 1000
        var expiry = limit
        if let schedule = peakSchedule, let edge = schedule.edges(inside: now.milliseconds..<limit).min() {
            expiry = min(expiry, edge)
        }
        let units = Set(event.quantities.map(\.unit))
        for override in overrides where override.unit.map(units.contains) ?? true {
            for edge in override.edges where edge > now {
                expiry = min(expiry, edge.milliseconds)
            }
        }
        return PriceQuote(
            charge: try charge(event, overrides: overrides), quotedAt: now,
            expiresAt: UnixTime(milliseconds: expiry), overrides: overrides)
    }
}
