import Logging
import PBCore
import PBGuard
import PBPricing
import PBStore
import Synchronization

/// The services, their route plans and the oracle's rates in force, matched per request without touching the
/// store: reloaded when the configuration is applied and whenever a service or a rate changes through the API.
public final class ServiceCatalog: RoutePricing, Sendable {
    private struct State: Sendable {
        var matcher = RouteMatcher(services: [])
        /// Built plans by service id, then by the route's position in the service (nil: free, or a plan that does not
        /// build).
        var plans: [String: [RoutePricePlan?]] = [:]
        /// Pushed rates by service id.
        var oracles: [String: RateOracle] = [:]
        /// Moves on every reload, so that offers cached under the old services, plans or rates are not reused.
        var generation: UInt64 = 0
    }

    private let store: any GatewayStore
    private let logger: Logger
    private let state = Mutex(State())

    public init(store: any GatewayStore, logger: Logger = Logger(label: "pb.catalog")) {
        self.store = store
        self.logger = logger
    }

    /// Reloads services, plans and rates.
    public func reload() async throws {
        let services = try await store.services()
        let rates = try await store.rates(serviceId: nil)
        var plans: [String: [RoutePricePlan?]] = [:]
        for service in services {
            plans[service.id] = Array(repeating: nil, count: service.routes.count)
            for (index, route) in service.routes.enumerated() {
                guard let config = Self.plan(of: route, decimals: service.assetDecimals) else { continue }
                do {
                    plans[service.id]?[index] = try RoutePricePlan(
                        route: service.routeName(route), config: config, decimals: service.assetDecimals)
                } catch {
                    // Plans are validated when configured; a stored one that no longer builds leaves its route
                    // unpayable (500) rather than free.
                    logger.error("route plan does not build", metadata: ["service": "\(service.id)", "error": "\(error)"])
                }
            }
        }
        let oracles = Self.oracles(rates, services: services)
        state.withLock { state in
            state.matcher = RouteMatcher(services: services)
            state.plans = plans
            state.oracles = oracles
            state.generation &+= 1
        }
    }

    /// Reloads only the oracle's rates (after a push or a withdrawal).
    public func reloadRates() async throws {
        let services = try await store.services()
        let oracles = Self.oracles(try await store.rates(serviceId: nil), services: services)
        state.withLock { state in
            state.oracles = oracles
            state.generation &+= 1
        }
    }

    public func route(method: String, path: String) async throws -> PricedRoute? {
        let (matcher, plans, oracles, generation) = state.withLock { ($0.matcher, $0.plans, $0.oracles, $0.generation) }
        guard let match = matcher.match(method: method, target: path) else { return nil }
        let service = match.service
        let rule = "route:\(match.route.method) \(service.pathPrefix == "/" ? "" : service.pathPrefix)\(match.routePath)"
        guard !match.route.isFree else { return PricedRoute(service: service, priceBaseUnits: nil, rule: rule) }
        guard let servicePlans = plans[service.id], match.routeIndex < servicePlans.count,
            let plan = servicePlans[match.routeIndex]
        else {
            throw GatewayError(.internalServerError, code: "route_unpriceable", message: "the route's price plan is invalid")
        }
        return PricedRoute(
            service: service, priceBaseUnits: match.priceBaseUnits, rule: rule, plan: plan,
            overrides: oracles[service.id]?.overrides(forService: service.id, route: plan.route) ?? [],
            wildcardValues: match.wildcardValues, generation: generation)
    }

    /// A route's plan config: its `pricing`, or a per-call plan at its simple price.
    static func plan(of route: RouteRecord, decimals: Int) -> RoutePlan? {
        if let pricing = route.pricing { return pricing }
        guard let price = route.priceBaseUnits, let amount = try? Amount(baseUnits: price, decimals: decimals) else {
            return nil
        }
        return RoutePlan.perCall(rate: amount.decimalString, decimals: decimals)
    }

    private static func oracles(_ rates: [RateRecord], services: [ServiceRecord]) -> [String: RateOracle] {
        let decimals = Dictionary(services.map { ($0.id, $0.assetDecimals) }, uniquingKeysWith: { first, _ in first })
        var oracles: [String: RateOracle] = [:]
        for rate in rates {
            guard let serviceDecimals = decimals[rate.serviceId],
                let override = try? RateOverride(config: rate.override, decimals: serviceDecimals)
            else { continue }
            oracles[rate.serviceId, default: RateOracle()].push(override)
        }
        return oracles
    }
}

extension ServiceRecord {
    /// `METHOD /prefix/route/pattern`: how oracle rates name a route (`POST /v1/chat`, `GET /models/*`).
    public static func routeName(method: String, pathPrefix: String, path: String) -> String {
        "\(method) \(pathPrefix == "/" ? "" : pathPrefix)\(path)"
    }

    public func routeName(_ route: RouteRecord) -> String {
        Self.routeName(method: route.method, pathPrefix: pathPrefix, path: route.path)
    }
}
