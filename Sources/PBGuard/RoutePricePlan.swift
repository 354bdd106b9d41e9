import PBCore
import PBPricing
import PBStore

/// A route's plan, validated and built: what the gateway quotes every request of the route with.
///
/// A request is priced at one usage: the hold's maximum for an authorize-then-capture route, else one `call`.
/// A plan that prices `call` has one call added to a hold's usage (and to every capture).
public struct RoutePricePlan: Sendable, Hashable {
    /// `METHOD /full/path/pattern`, the name oracle overrides scope a route by.
    public let route: String
    public let config: RoutePlan
    public let plan: PricePlan
    /// The usage one request is quoted at.
    public let usage: [PricingUnit: UInt64]
    /// Seconds an uncaptured hold stays open; nil for a route charged at the quoted price.
    public let holdSeconds: Int?

    /// Validates `config` for a service whose asset has `decimals`; errors name the field relative to the
    /// `pricing` block (`prices[0].rate`, `hold.output_tokens`, `decimals`).
    public init(route: String, config: RoutePlan, decimals: Int) throws(PricingError) {
        if let planDecimals = config.plan.decimals, planDecimals != decimals {
            throw PricingError(
                kind: .invalidPlan, field: "decimals", message: "is \(planDecimals) but the service's asset has \(decimals)")
        }
        var planConfig = config.plan
        planConfig.decimals = decimals
        let plan = try PricePlan(config: planConfig)
        let pricedUnits = Set(plan.prices.map(\.unit))
        var usage: [PricingUnit: UInt64] = [:]
        if let hold = config.hold {
            for (name, quantity) in hold.sorted(by: { $0.key < $1.key }) {
                let unit: PricingUnit
                do { unit = try ReportedUsage.unit(named: name) } catch {
                    throw PricingError(kind: .invalidPlan, field: "hold.\(name)", message: error.message)
                }
                guard pricedUnits.contains(unit), usage[unit] == nil else {
                    throw PricingError(
                        kind: .invalidPlan, field: "hold.\(name)", message: "names a unit the plan has no price for, or twice")
                }
                // Written in the unit (seconds for `second`), metered in milliseconds for time units.
                let (metered, overflow) = quantity.multipliedReportingOverflow(by: unit.millisecondsPerUnit ?? 1)
                guard !overflow else {
                    throw PricingError(kind: .invalidPlan, field: "hold.\(name)", message: "\(quantity) is too large")
                }
                usage[unit] = metered
            }
            if pricedUnits.contains(.call) { usage[.call] = 1 }
            if let missing = pricedUnits.subtracting(usage.keys).map(\.name).sorted().first {
                throw PricingError(
                    kind: .invalidPlan, field: "hold", message: "has no maximum for '\(missing)', which the plan prices")
            }
            let seconds = config.holdSeconds ?? RoutePlan.defaultHoldSeconds
            guard (1...86_400).contains(seconds) else {
                throw PricingError(kind: .invalidPlan, field: "holdSeconds", message: "\(seconds) is outside 1...86400")
            }
            holdSeconds = seconds
        } else {
            if config.holdSeconds != nil {
                throw PricingError(kind: .invalidPlan, field: "holdSeconds", message: "is only used with hold")
            }
            guard pricedUnits == [.call] else {
                let unit = pricedUnits.filter { $0 != .call }.map(\.name).sorted().first ?? ""
                throw PricingError(
                    kind: .invalidPlan, field: "hold",
                    message: "is required: '\(unit)' is metered, so give the most one call may use (hold: {\(unit): …})")
            }
            usage[.call] = 1
            holdSeconds = nil
        }
        self.route = route
        self.config = config
        self.plan = plan
        self.usage = usage
    }

    public var isHold: Bool { holdSeconds != nil }

    /// The usage as a pricing event at `time`.
    public static func event(_ usage: [PricingUnit: UInt64], at time: UnixTime, dimensions: [String: String]) -> UsageEvent {
        UsageEvent(
            at: time,
            quantities: usage.sorted { $0.key.name < $1.key.name }.map { UsageQuantity(unit: $0.key, quantity: $0.value) },
            dimensions: dimensions)
    }

    /// Quotes one request: the plan priced at the route's usage with the oracle's `overrides` for this route.
    /// A hold asks for the exact price rounded UP, so that a capture (rounded down with the channel's carried
    /// remainder) can never exceed it; a call is charged the exact price rounded down.
    public func quote(
        dimensions: [String: String], overrides: [RateOverride], now: UnixTime, lifetimeSeconds: Int64
    ) throws(PricingError) -> RouteQuote {
        let quote = try plan.quote(
            Self.event(usage, at: now, dimensions: dimensions), overrides: overrides, now: now,
            lifetimeSeconds: lifetimeSeconds)
        let charge = quote.charge
        let roundUp: UInt128 = isHold && !charge.remainder.isZero ? 1 : 0
        let terms = QuoteTerms(
            route: route, plan: plan.config, usage: Dictionary(uniqueKeysWithValues: usage.map { ($0.key.name, $0.value) }),
            dimensions: dimensions, overrides: overrides.map(\.config), quotedAtMilliseconds: now.milliseconds,
            lifetimeSeconds: lifetimeSeconds)
        return RouteQuote(
            amount: charge.total.baseUnits + roundUp, charge: charge, terms: terms, holdSeconds: holdSeconds,
            expiresAt: quote.expiresAt)
    }
}

/// One request's quote: the amount the 402 asks for, the breakdown, and the terms the quote id authenticates.
public struct RouteQuote: Sendable, Hashable {
    public let amount: UInt128
    public let charge: Charge
    public let terms: QuoteTerms
    public let holdSeconds: Int?
    public let expiresAt: UnixTime

    /// `quoteExpiresAt` of the 402: the expiry in whole seconds, rounded down so a quote is never honoured past it.
    public var expiresAtSeconds: UInt64 { UInt64(clamping: expiresAt.seconds) }
}
