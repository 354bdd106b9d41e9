import PBCrypto
import PBStore
import Testing

@testable import PBGateway

@Suite struct RouteMatcherTests {
    static func service(_ id: String, prefix: String, routes: [RouteRecord]) -> ServiceRecord {
        ServiceRecord(
            id: id, name: id, payee: GatewayConfiguration.zeroAddress, asset: GatewayConfiguration.zeroAddress,
            network: "eip155:8453", upstreamURL: nil, pathPrefix: prefix, routes: routes)
    }

    static let matcher = RouteMatcher(services: [
        service("root", prefix: "/", routes: [RouteRecord(method: "*", path: "/**", priceBaseUnits: 1)]),
        service(
            "api", prefix: "/api",
            routes: [
                RouteRecord(method: "*", path: "/**", priceBaseUnits: 5),
                RouteRecord(method: "GET", path: "/items/*", priceBaseUnits: 20),
                RouteRecord(method: "*", path: "/items/*", priceBaseUnits: 30),
                RouteRecord(method: "GET", path: "/items/special", priceBaseUnits: nil),
                RouteRecord(method: "POST", path: "/items", priceBaseUnits: 100),
                RouteRecord(method: "*", path: "/files/*/raw", priceBaseUnits: 7),
                RouteRecord(method: "GET", path: "/docs/**", priceBaseUnits: nil),
            ]),
        service("v2", prefix: "/api/v2", routes: [RouteRecord(method: "GET", path: "/ping", priceBaseUnits: 2)]),
    ])

    func match(_ method: String, _ target: String) -> (String, UInt128?)? {
        Self.matcher.match(method: method, target: target).map { ($0.service.id, $0.priceBaseUnits) }
    }

    @Test func longestPrefixWins() {
        #expect(match("GET", "/api/v2/ping")! == ("v2", 2))
        // The longest prefix owns the path even when none of its routes match: no fallback to a cheaper service.
        #expect(match("GET", "/api/v2/other") == nil)
        #expect(match("GET", "/api/anything")! == ("api", 5))
        // Prefixes end on segment boundaries.
        #expect(match("GET", "/apix")! == ("root", 1))
        #expect(match("GET", "/api")! == ("api", 5))
    }

    @Test func mostSpecificRouteWins() {
        #expect(match("GET", "/api/items/special")! == ("api", nil))
        #expect(match("GET", "/api/items/42")! == ("api", 20))
        #expect(match("DELETE", "/api/items/42")! == ("api", 30))
        #expect(match("POST", "/api/items")! == ("api", 100))
        #expect(match("GET", "/api/items")! == ("api", 5))
        #expect(match("GET", "/api/items/42/extra")! == ("api", 5))
        #expect(match("PUT", "/api/files/x/raw")! == ("api", 7))
    }

    @Test func aMatchNamesItsRoutesPositionAndWildcardSegments() throws {
        let item = try #require(Self.matcher.match(method: "GET", target: "/api/items/42?x=1"))
        #expect(item.routeIndex == 1)
        #expect(item.service.routes[item.routeIndex] == item.route)
        #expect(item.wildcardValues == ["42"])
        let raw = try #require(Self.matcher.match(method: "PUT", target: "/api/files/a%2Fb/raw"))
        #expect(raw.routeIndex == 5)
        #expect(raw.wildcardValues == ["a%2Fb"])
        // `**` is not a wildcard value: the rest of the path stays in routePath.
        let docs = try #require(Self.matcher.match(method: "GET", target: "/api/docs/a/b"))
        #expect(docs.routeIndex == 6)
        #expect(docs.wildcardValues.isEmpty)
    }

    @Test func methodsCompareCaseInsensitively() {
        #expect(match("get", "/api/items/42")! == ("api", 20))
    }

    @Test func freeAndPricedAreReported() throws {
        let free = try #require(Self.matcher.match(method: "GET", target: "/api/docs/a/b/c"))
        #expect(free.isFree)
        #expect(free.routePath == "/docs/a/b/c")
        let priced = try #require(Self.matcher.match(method: "GET", target: "/api/items/1"))
        #expect(!priced.isFree)
        #expect(priced.priceBaseUnits == 20)
    }

    @Test func doubleStarMatchesZeroOrMoreSegments() {
        #expect(match("GET", "/api/docs")! == ("api", nil))
        #expect(match("GET", "/api/docs/")! == ("api", nil))
    }

    @Test func trailingSlashAndQueryAreIgnored() throws {
        #expect(match("GET", "/api/v2/ping/")! == ("v2", 2))
        #expect(match("GET", "/api/v2/ping?x=1&y=/a/b")! == ("v2", 2))
        #expect(match("GET", "/api/items/special/?free=no")! == ("api", nil))
        let matched = try #require(Self.matcher.match(method: "GET", target: "/api/v2/ping?x=1"))
        #expect(matched.routePath == "/ping")
    }

    @Test func percentEncodingIsKeptAsSent() {
        // An encoded slash is part of one segment, so it matches `*` ...
        #expect(match("GET", "/api/items/a%2Fb")! == ("api", 20))
        // ... and an encoded literal is not the literal: `special` is free, `speci%61l` is not.
        #expect(match("GET", "/api/items/speci%61l")! == ("api", 20))
        #expect(match("GET", "/api%2Fv2/ping")! == ("root", 1))
    }

    @Test func unknownPathIsNil() {
        let matcher = RouteMatcher(services: [
            Self.service("chat", prefix: "/chat", routes: [RouteRecord(method: "POST", path: "/c", priceBaseUnits: 1)])
        ])
        #expect(matcher.match(method: "GET", target: "/chat/c") == nil)
        #expect(matcher.match(method: "POST", target: "/elsewhere") == nil)
        #expect(matcher.match(method: "POST", target: "/") == nil)
        #expect(matcher.match(method: "POST", target: "/chat/c/d") == nil)
        #expect(RouteMatcher(services: []).match(method: "GET", target: "/") == nil)
    }

    @Test func firstDeclaredWinsAmongEquals() {
        let matcher = RouteMatcher(services: [
            Self.service(
                "s", prefix: "/",
                routes: [
                    RouteRecord(method: "GET", path: "/a/*", priceBaseUnits: 1),
                    RouteRecord(method: "GET", path: "/*/b", priceBaseUnits: 2),
                ])
        ])
        #expect(matcher.match(method: "GET", target: "/a/b")?.priceBaseUnits == 1)
    }
}
