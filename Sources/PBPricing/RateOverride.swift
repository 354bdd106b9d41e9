import PBCore

/// A price change pushed by the merchant's rate oracle: a multiplier on, or an absolute replacement of, the price of
/// a service, a route or a unit, valid from `notBefore` (inclusive) to `notAfter` (exclusive).
///
/// An absolute price replaces the charge model (tiers, packages) by a standard rate and is not multiplied by peak
/// windows: the merchant named the price. Free units and the minimum still apply. A multiplier combines with the
/// peak window's multiplier.
public struct RateOverride: Hashable, Sendable, Identifiable {
    public enum Adjustment: Hashable, Sendable {
        case multiplier(Multiplier)
        case price(Rate)
    }

    /// Names the override in charge lines and quotes (`ovr_2025_gpu_shortage`).
    public let id: String
    /// The service it applies to; nil for every service.
    public let service: String?
    /// The route it applies to (as the gateway names routes); nil for every route.
    public let route: String?
    /// The unit it applies to; nil for every unit.
    public let unit: PricingUnit?
    public let adjustment: Adjustment
    public let notBefore: UnixTime?
    public let notAfter: UnixTime?

    public init(
        id: String, service: String? = nil, route: String? = nil, unit: PricingUnit? = nil, adjustment: Adjustment,
        notBefore: UnixTime? = nil, notAfter: UnixTime? = nil
    ) throws(PricingError) {
        guard !id.isEmpty, id.utf8.count <= 128 else { throw .invalid("id", "an override needs an id of 1 to 128 characters") }
        if let notBefore, let notAfter, notAfter <= notBefore {
            throw .invalid("notAfter", "is not after notBefore; the override would never apply")
        }
        self.id = id
        self.service = service
        self.route = route
        self.unit = unit
        self.adjustment = adjustment
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Whether the override is valid at `time`: `notBefore <= time < notAfter`.
    public func isValid(at time: UnixTime) -> Bool {
        (notBefore.map { $0 <= time } ?? true) && (notAfter.map { time < $0 } ?? true)
    }

    /// Whether the override's scope covers this service and route (its unit is matched when pricing).
    public func applies(toService service: String, route: String) -> Bool {
        (self.service.map { $0 == service } ?? true) && (self.route.map { $0 == route } ?? true)
    }

    /// Precedence among overrides valid at the same time for the same unit: the most specific scope (route, then
    /// service, then unit), then the latest `notBefore`, then the greatest id, so the choice never depends on order.
    var precedence: (Int, Int, Int, Int64, String) {
        (route == nil ? 0 : 1, service == nil ? 0 : 1, unit == nil ? 0 : 1, notBefore?.milliseconds ?? .min, id)
    }

    /// The override that prices `unit` at `time`, if any.
    static func effective(among overrides: [RateOverride], unit: PricingUnit, at time: UnixTime) -> RateOverride? {
        var best: RateOverride?
        for override in overrides where (override.unit == nil || override.unit == unit) && override.isValid(at: time) {
            if let current = best, override.precedence <= current.precedence { continue }
            best = override
        }
        return best
    }

    /// The instants where this override starts or stops applying.
    var edges: [UnixTime] { [notBefore, notAfter].compactMap { $0 } }
}

/// The overrides the merchant's oracle has pushed, kept by id: a push with a known id replaces the earlier one.
public struct RateOracle: Hashable, Sendable {
    public private(set) var overrides: [RateOverride]

    public init(overrides: [RateOverride] = []) {
        self.overrides = []
        for override in overrides { push(override) }
    }

    public mutating func push(_ override: RateOverride) {
        if let index = overrides.firstIndex(where: { $0.id == override.id }) {
            overrides[index] = override
        } else {
            overrides.append(override)
        }
    }

    public mutating func withdraw(id: String) { overrides.removeAll { $0.id == id } }

    /// Forgets overrides that can no longer apply at or after `now`.
    public mutating func removeExpired(now: UnixTime) {
        overrides.removeAll { override in override.notAfter.map { $0 <= now } ?? false }
    }

    /// The overrides whose scope covers a service's route: what to pass to `PricePlan.charge` and `quote`.
    public func overrides(forService service: String, route: String) -> [RateOverride] {
        overrides.filter { $0.applies(toService: service, route: route) }
    }
}
