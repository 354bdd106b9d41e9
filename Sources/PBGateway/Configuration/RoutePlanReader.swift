import HTTPTypes
import PBCore
import PBGuard
import PBPricing
import PBStore
import Yams

/// Reads a route's `pricing:` block, from pb.yaml or the services API's JSON, into a `RoutePlan`, and validates it
/// by building the plan. Every error names its field from the root given (`services[0].routes[1].pricing.prices[0].rate`),
/// unknown keys included, so a misspelt `prics:` is reported rather than ignored.
///
/// The block is `PricePlanConfig`'s fields (`asset`, `decimals`, `timeZone`, `peakWindows`, `prices`) plus `hold`,
/// `holdSeconds` and `dimensions` (docs/PRICING.md, "The gateway").
enum RoutePlanReader {
    /// Reads and validates `value` for a route `route` (`METHOD /full/path`) of a service with `decimals`.
    static func read(
        _ value: JSONValue, path: String, route: String, routePath: String, decimals: Int
    ) throws(GatewayConfigurationError) -> RoutePlan {
        var fields = try JSONFields(value, path: path)
        var plan = PricePlanConfig(prices: [])
        plan.asset = try fields.string("asset")
        plan.decimals = try fields.integer("decimals")
        plan.timeZone = try fields.string("timeZone")
        if let windows = try fields.list("peakWindows") {
            plan.peakWindows = try windows.map { (item) throws(GatewayConfigurationError) in
                var window = try JSONFields(item.value, path: item.path)
                let config = PeakWindowConfig(
                    name: try window.requiredString("name"),
                    days: try (window.list("days") ?? []).map { (day) throws(GatewayConfigurationError) in
                        try JSONFields.string(day.value, path: day.path)
                    },
                    from: try window.requiredString("from"), to: try window.requiredString("to"),
                    multiplier: try window.requiredString("multiplier"))
                try window.rejectUnknownKeys()
                return config
            }
        }
        plan.prices = try (fields.list("prices") ?? []).map { (item) throws(GatewayConfigurationError) in
            try readPrice(item.value, path: item.path)
        }
        var routePlan = RoutePlan(plan: plan)
        if var hold = try fields.object("hold") {
            routePlan.hold = try hold.readEach(JSONFields.integer)
        }
        routePlan.holdSeconds = try fields.integer("holdSeconds")
        if var sources = try fields.object("dimensions") {
            routePlan.dimensions = try sources.readEach(JSONFields.dimensionSource)
        }
        try fields.rejectUnknownKeys()
        try validate(routePlan, path: path, route: route, routePath: routePath, decimals: decimals)
        return routePlan
    }

    private static func readPrice(_ value: JSONValue, path: String) throws(GatewayConfigurationError) -> UnitPriceConfig {
        var fields = try JSONFields(value, path: path)
        var price = UnitPriceConfig(unit: try fields.requiredString("unit"))
        if var dimension = try fields.object("dimension") {
            price.dimension = try dimension.readEach(JSONFields.string)
        }
        price.model = try fields.string("model")
        price.rate = try fields.string("rate")
        price.tiers = try fields.list("tiers")?.map { (item) throws(GatewayConfigurationError) in
            var tier = try JSONFields(item.value, path: item.path)
            let config = PriceTierConfig(
                upTo: try tier.integer("upTo").map(UInt64.init), rate: try tier.requiredString("rate"),
                flatFee: try tier.string("flatFee"))
            try tier.rejectUnknownKeys()
            return config
        }
        price.packageSize = try fields.integer("packageSize").map(UInt64.init)
        price.packagePrice = try fields.string("packagePrice")
        price.freeUnits = try fields.integer("freeUnits").map(UInt64.init)
        price.minimum = try fields.string("minimum")
        try fields.rejectUnknownKeys()
        return price
    }

    /// Builds the plan (naming any field the pricing engine refuses) and checks the dimension sources.
    static func validate(
        _ plan: RoutePlan, path: String, route: String, routePath: String, decimals: Int
    ) throws(GatewayConfigurationError) {
        do {
            _ = try RoutePricePlan(route: route, config: plan, decimals: decimals)
        } catch {
            throw GatewayConfigurationError(field: error.field.map { "\(path).\($0)" } ?? path, error.message)
        }
        let pricedKeys = Set(plan.plan.prices.compactMap { $0.dimension?.keys.first })
        let wildcards = routePath.split(separator: "/").count { $0 == "*" }
        for (key, source) in plan.dimensions ?? [:] {
            let field = "\(path).dimensions.\(key)"
            guard pricedKeys.contains(key) else {
                throw GatewayConfigurationError(field: field, "no price of the plan is per '\(key)'")
            }
            switch (source.header, source.wildcard) {
            case (let header?, nil):
                guard HTTPField.Name(header) != nil else {
                    throw GatewayConfigurationError(field: "\(field).header", "'\(header)' is not an HTTP header name")
                }
            case (nil, let wildcard?):
                guard (1...max(wildcards, 1)).contains(wildcard), wildcards > 0 else {
                    throw GatewayConfigurationError(
                        field: "\(field).wildcard", "\(wildcard) is not one of the \(wildcards) '*' segments of \(routePath)")
                }
            default:
                throw GatewayConfigurationError(field: field, "give exactly one of header and wildcard")
            }
        }
    }

    /// A YAML node as JSON: scalars keep their exact source text (`rate: 0.01` stays the digits "0.01").
    static func json(_ node: Node, path: String) throws(GatewayConfigurationError) -> JSONValue {
        if let scalar = node.scalar {
            return node.tag.rawValue == Tag.Name.null.rawValue ? .null : .string(scalar.string)
        }
        if let sequence = node.sequence {
            var values: [JSONValue] = []
            for (index, item) in sequence.enumerated() { values.append(try json(item, path: "\(path)[\(index)]")) }
            return .array(values)
        }
        guard let mapping = node.mapping else { throw GatewayConfigurationError(field: path, "unsupported YAML") }
        var members: [(key: String, value: JSONValue)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw GatewayConfigurationError(field: path, "keys must be strings") }
            guard !members.contains(where: { $0.key == name }) else {
                throw GatewayConfigurationError(field: "\(path).\(name)", "key appears twice")
            }
            members.append((name, try json(value, path: "\(path).\(name)")))
        }
        return .object(members)
    }
}
