import PBCore
import PBCrypto
import PBStore

/// Services on the management API: prices as decimal strings of whole tokens, never floating point.
enum ServiceJSON {
    static func encode(_ service: ServiceRecord) -> JSONValue {
        .object([
            ("id", .string(service.id)), ("name", .string(service.name)),
            ("payee", .string(service.payee.checksummed)), ("asset", .string(service.asset.checksummed)),
            ("decimals", .number(String(service.assetDecimals))), ("network", .string(service.network)),
            ("upstream", service.upstreamURL.map { .string($0) } ?? .null), ("pathPrefix", .string(service.pathPrefix)),
            ("routes", .array(service.routes.map { route in
                .object([
                    ("method", .string(route.method)), ("path", .string(route.path)),
                    ("price", route.priceBaseUnits.map { JSONBodies.money($0, decimals: service.assetDecimals) } ?? .null),
                    ("pricing", route.pricing.map(RoutePlanJSON.encode) ?? .null),
                    ("free", .bool(route.isFree)),
                ])
            })),
        ])
    }

    static func decode(_ value: JSONValue, id fixedId: String? = nil) throws -> ServiceRecord {
        func text(_ key: String) throws -> String {
            guard let text = value[key]?.stringValue, !text.isEmpty else { throw GatewayError.badRequest("\(key) is required") }
            return text
        }
        func address(_ key: String) throws -> EthereumAddress {
            do { return try EthereumAddress(try text(key)) } catch let error as EthereumAddress.ParseError {
                throw GatewayError.badRequest("\(key): \(error.message)")
            }
        }
        let id = try fixedId ?? text("id")
        guard id.utf8.count <= 64, id.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (48...57).contains($0) || (97...122).contains($0) }) else {
            throw GatewayError.badRequest("id must be 1-64 of a-z, 0-9, - and _")
        }
        var decimals = 6
        if case .number(let literal)? = value["decimals"] {
            guard let parsed = Int(literal), (0...36).contains(parsed) else { throw GatewayError.badRequest("decimals must be 0...36") }
            decimals = parsed
        }
        let pathPrefix = value["pathPrefix"]?.stringValue ?? "/"
        guard pathPrefix.hasPrefix("/") else { throw GatewayError.badRequest("pathPrefix must start with /") }
        let routeValues: [JSONValue] = value["routes"].flatMap(\.arrayValues) ?? []
        let routes = try routeValues.enumerated().map { (index, route) throws -> RouteRecord in
            guard let method = route["method"]?.stringValue, let path = route["path"]?.stringValue, path.hasPrefix("/") else {
                throw GatewayError.badRequest("routes[\(index)] needs method and a path starting with /")
            }
            if route["free"] == .bool(true) { return RouteRecord(method: method.uppercased(), path: path, priceBaseUnits: nil) }
            if let pricing = route["pricing"], pricing != .null {
                let routeMethod = method.uppercased()
                do {
                    let plan = try RoutePlanReader.read(
                        pricing, path: "routes[\(index)].pricing",
                        route: ServiceRecord.routeName(method: routeMethod, pathPrefix: pathPrefix, path: path),
                        routePath: path, decimals: decimals)
                    return RouteRecord(method: routeMethod, path: path, priceBaseUnits: nil, pricing: plan)
                } catch let error as GatewayConfigurationError {
                    throw GatewayError.invalidField(error.field, error.message)
                }
            }
            guard let price = route["price"]?.stringValue else {
                throw GatewayError.badRequest("routes[\(index)] needs a price (a decimal string), pricing, or free: true")
            }
            do {
                return RouteRecord(
                    method: method.uppercased(), path: path,
                    priceBaseUnits: try Amount(parsing: price, decimals: decimals).baseUnits)
            } catch {
                throw GatewayError.badRequest("routes[\(index)].price: \(error)")
            }
        }
        return ServiceRecord(
            id: id, name: value["name"]?.stringValue ?? id, payee: try address("payee"), asset: try address("asset"),
            assetDecimals: decimals, network: value["network"]?.stringValue ?? "eip155:8453",
            upstreamURL: value["upstream"]?.stringValue, pathPrefix: pathPrefix, routes: routes)
    }
}
