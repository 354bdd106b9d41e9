import PBStore
import Synchronization

/// The services and prices in force, matched per request without touching the store: reloaded when the
/// configuration is applied and whenever a service changes through the management API.
public final class ServiceCatalog: RoutePricing, Sendable {
    private let store: any GatewayStore
    private let matcher = Mutex(RouteMatcher(services: []))

    public init(store: any GatewayStore) {
        self.store = store
    }

    public func reload() async throws {
        let services = try await store.services()
        matcher.withLock { $0 = RouteMatcher(services: services) }
    }

    public func route(method: String, path: String) async throws -> PricedRoute? {
        guard let match = matcher.withLock({ $0 }).match(method: method, target: path) else { return nil }
        return PricedRoute(
            service: match.service, priceBaseUnits: match.priceBaseUnits,
            rule: "route:\(match.route.method) \(match.service.pathPrefix == "/" ? "" : match.service.pathPrefix)\(match.routePath)")
    }
}
