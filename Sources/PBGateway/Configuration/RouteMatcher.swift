import PBStore

/// The service and route a request belongs to.
public struct RouteMatch: Sendable, Hashable {
    public let service: ServiceRecord
    public let route: RouteRecord
    /// The request path after the service's prefix, without the query; `/` when the prefix is the whole path.
    public let routePath: String
    /// The route's position in `service.routes`, so callers can index what they precomputed per route instead of
    /// hashing the route.
    public let routeIndex: Int
    /// The request's segments matched by the route's `*` segments, in order.
    public let wildcardValues: [String]

    public var isFree: Bool { route.isFree }
    /// The simple per-call price; nil for a free route or one priced by a plan.
    public var priceBaseUnits: UInt128? { route.priceBaseUnits }
}

/// Finds the service and route for a request.
///
/// - The service is the one with the longest `pathPrefix` that ends on a segment boundary (`/chat` owns `/chat` and
///   `/chat/x`, not `/chatter`).
/// - Its routes match the rest of the path segment by segment: `*` is one segment, a trailing `**` zero or more.
///   Segments are compared as sent, so `a%2Fb` is one segment and never equals `a/b`.
/// - A single trailing slash is ignored (`/models/` is `/models`) and the query string never takes part.
/// - When several routes match, the most specific wins: more literal segments, then more `*` over `**`, then an exact
///   method over `*`; among equals, the first declared. Clients cannot pick a cheaper route by spelling a path
///   differently, because specificity depends only on the route table.
public struct RouteMatcher: Sendable {
    private struct CompiledRoute: Sendable {
        let record: RouteRecord
        let index: Int
        let segments: [Substring]
        let endsWithRest: Bool
        let literalCount: Int
    }

    private struct CompiledService: Sendable {
        let record: ServiceRecord
        let prefixSegments: [Substring]
        let routes: [CompiledRoute]
    }

    private let services: [CompiledService]

    public init(services: [ServiceRecord]) {
        // Longest prefix first, so the first service that owns the path is the answer.
        self.services = services.map { service in
            CompiledService(
                record: service,
                prefixSegments: Self.segments(of: service.pathPrefix),
                routes: service.routes.enumerated().map { index, route in
                    var segments = Self.segments(of: route.path)
                    let endsWithRest = segments.last == "**"
                    if endsWithRest { segments.removeLast() }
                    return CompiledRoute(
                        record: route, index: index, segments: segments, endsWithRest: endsWithRest,
                        literalCount: segments.count(where: { $0 != "*" }))
                }
            )
        }
        .sorted { $0.prefixSegments.count > $1.prefixSegments.count }
    }

    /// `target` is the request target as sent (`/chat/completions?stream=1`); the query is ignored.
    public func match(method: String, target: String) -> RouteMatch? {
        let path = target.prefix { $0 != "?" && $0 != "#" }
        let pathSegments = Self.segments(of: path)
        let method = method.uppercased()
        for service in services where pathSegments.starts(with: service.prefixSegments) {
            let rest = pathSegments.dropFirst(service.prefixSegments.count)
            guard let route = bestRoute(in: service.routes, method: method, segments: Array(rest)) else { return nil }
            let routePath = "/" + rest.joined(separator: "/")
            var wildcardValues: [String] = []
            if route.literalCount < route.segments.count {
                for (pattern, segment) in zip(route.segments, rest) where pattern == "*" {
                    wildcardValues.append(String(segment))
                }
            }
            return RouteMatch(
                service: service.record, route: route.record, routePath: routePath, routeIndex: route.index,
                wildcardValues: wildcardValues)
        }
        return nil
    }

    private func bestRoute(in routes: [CompiledRoute], method: String, segments: [Substring]) -> CompiledRoute? {
        var best: CompiledRoute?
        for route in routes where route.record.method == "*" || route.record.method == method {
            guard Self.matches(route, segments) else { continue }
            if let current = best, !Self.isMoreSpecific(route, than: current) { continue }
            best = route
        }
        return best
    }

    private static func matches(_ route: CompiledRoute, _ segments: [Substring]) -> Bool {
        if route.endsWithRest {
            guard segments.count >= route.segments.count else { return false }
        } else {
            guard segments.count == route.segments.count else { return false }
        }
        return zip(route.segments, segments).allSatisfy { pattern, segment in pattern == "*" || pattern == segment }
    }

    private static func isMoreSpecific(_ candidate: CompiledRoute, than current: CompiledRoute) -> Bool {
        func rank(_ route: CompiledRoute) -> (Int, Int, Int, Int) {
            (route.literalCount, route.segments.count, route.endsWithRest ? 0 : 1, route.record.method == "*" ? 0 : 1)
        }
        return rank(candidate) > rank(current)
    }

    /// Path segments without the leading slash; `/` has none and one trailing slash is dropped.
    static func segments(of path: some StringProtocol) -> [Substring] {
        var text = Substring(path)
        if text.hasPrefix("/") { text = text.dropFirst() }
        if text.hasSuffix("/") { text = text.dropLast() }
        if text.isEmpty { return [] }
        return text.split(separator: "/", omittingEmptySubsequences: false)
    }
}
