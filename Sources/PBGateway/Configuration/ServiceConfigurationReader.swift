import Foundation
import PBCore
import PBCrypto
import PBStore
import Yams

/// Turns one `services:` item of `pb.yaml` into a `ServiceRecord`, validating every field on the way.
enum ServiceConfigurationReader {
    static let defaultDecimals = 6
    static let defaultNetwork = "eip155:8453"

    static func read(_ node: Node, path: String) throws(GatewayConfigurationError) -> ServiceRecord {
        var fields = try ConfigurationNode(node, path: path)
        let id = try fields.requiredString("id")
        let name = try fields.string("name") ?? id
        let payee = try address(fields.requiredString("payee"), field: fields.fieldPath("payee"))
        let asset = try address(fields.requiredString("asset"), field: fields.fieldPath("asset"))
        let decimals = try fields.integer("decimals", in: Asset.decimalsRange) ?? defaultDecimals
        let network = try fields.string("network") ?? defaultNetwork
        try validateNetwork(network, field: fields.fieldPath("network"))
        let upstream = try fields.string("upstream")
        if let upstream { try validateUpstream(upstream, field: fields.fieldPath("upstream")) }
        let pathPrefix = try fields.requiredString("pathPrefix")
        try validatePathPrefix(pathPrefix, field: fields.fieldPath("pathPrefix"))

        var routes: [RouteRecord] = []
        for item in try fields.list("routes") {
            routes.append(try readRoute(item.node, path: item.path, decimals: decimals, pathPrefix: pathPrefix))
        }
        for item in try fields.list("freePaths") {
            guard let text = item.node.scalar?.string else {
                throw GatewayConfigurationError(field: item.path, "expected a path such as /health")
            }
            try validateRoutePath(text, field: item.path)
            routes.append(RouteRecord(method: "*", path: text, priceBaseUnits: nil))
        }
        try fields.rejectUnknownKeys()
        return ServiceRecord(
            id: id, name: name, payee: payee, asset: asset, assetDecimals: decimals, network: network,
            upstreamURL: upstream, pathPrefix: pathPrefix, routes: routes
        )
    }

    static func readRoute(
        _ node: Node, path: String, decimals: Int, pathPrefix: String
    ) throws(GatewayConfigurationError) -> RouteRecord {
        var fields = try ConfigurationNode(node, path: path)
        let method = try fields.string("method")?.uppercased() ?? "*"
        guard method == "*" || (!method.isEmpty && method.allSatisfy { $0.isASCII && $0.isLetter }) else {
            throw GatewayConfigurationError(field: fields.fieldPath("method"), "'\(method)' is not an HTTP method or *")
        }
        let routePath = try fields.requiredString("path")
        try validateRoutePath(routePath, field: fields.fieldPath("path"))
        let priceText = try fields.string("price")
        let free = try fields.boolean("free") ?? false
        let pricingNode = fields.node("pricing")
        try fields.rejectUnknownKeys()

        if let pricingNode {
            guard priceText == nil, !free else {
                throw GatewayConfigurationError(field: path, "has pricing and a price or 'free: true'; choose one")
            }
            let pricingPath = fields.fieldPath("pricing")
            let plan = try RoutePlanReader.read(
                RoutePlanReader.json(pricingNode, path: pricingPath), path: pricingPath,
                route: ServiceRecord.routeName(method: method, pathPrefix: pathPrefix, path: routePath),
                routePath: routePath, decimals: decimals)
            return RouteRecord(method: method, path: routePath, priceBaseUnits: nil, pricing: plan)
        }
        switch (priceText, free) {
        case (nil, true):
            return RouteRecord(method: method, path: routePath, priceBaseUnits: nil)
        case (let text?, false):
            let price = try parseAmount(text, decimals: decimals, field: fields.fieldPath("price"))
            guard !price.isZero else {
                throw GatewayConfigurationError(field: fields.fieldPath("price"), "is zero; write 'free: true' instead")
            }
            return RouteRecord(method: method, path: routePath, priceBaseUnits: price.baseUnits)
        case (_?, true):
            throw GatewayConfigurationError(field: path, "has both a price and 'free: true'; choose one")
        case (nil, false):
            throw GatewayConfigurationError(field: path, "needs a price (such as \"0.01\"), pricing, or 'free: true'")
        }
    }

    static func parseAmount(_ text: String, decimals: Int, field: String) throws(GatewayConfigurationError) -> Amount {
        do {
            return try Amount(parsing: text, decimals: decimals)
        } catch {
            throw GatewayConfigurationError(field: field, "'\(text)': \(error) (the asset has \(decimals) decimals)")
        }
    }

    static func address(_ text: String, field: String) throws(GatewayConfigurationError) -> EthereumAddress {
        do {
            return try EthereumAddress(text)
        } catch {
            throw GatewayConfigurationError(field: field, error.message)
        }
    }

    /// CAIP-2 for EVM chains: `eip155:` and a decimal chain id.
    static func validateNetwork(_ network: String, field: String) throws(GatewayConfigurationError) {
        let parts = network.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "eip155", let chain = UInt64(parts[1]), chain > 0 else {
            throw GatewayConfigurationError(field: field, "'\(network)' is not a CAIP-2 EVM network such as eip155:8453")
        }
    }

    static func validateUpstream(_ upstream: String, field: String) throws(GatewayConfigurationError) {
        guard let url = URL(string: upstream), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw GatewayConfigurationError(field: field, "'\(upstream)' is not an http:// or https:// URL with a host")
        }
        // The request's own query is appended to the upstream URL, so the upstream may not carry one.
        guard url.query == nil, url.fragment == nil else {
            throw GatewayConfigurationError(field: field, "'\(upstream)' must not have a query or fragment")
        }
    }

    static func validatePathPrefix(_ prefix: String, field: String) throws(GatewayConfigurationError) {
        guard prefix.hasPrefix("/") else {
            throw GatewayConfigurationError(field: field, "'\(prefix)' must start with '/'")
        }
        guard prefix == "/" || !prefix.hasSuffix("/"), !prefix.contains("?"), !prefix.contains("*") else {
            throw GatewayConfigurationError(field: field, "'\(prefix)' must not end with '/' or contain '?' or '*'")
        }
    }

    static func validateRoutePath(_ path: String, field: String) throws(GatewayConfigurationError) {
        guard path.hasPrefix("/"), !path.contains("?") else {
            throw GatewayConfigurationError(field: field, "'\(path)' must start with '/' and have no query")
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() where segment.contains("*") {
            let isLast = index == segments.count - 1
            guard segment == "*" || (segment == "**" && isLast) else {
                throw GatewayConfigurationError(
                    field: field, "'\(path)': '*' must be a whole segment and '**' only the last one")
            }
        }
    }
}
