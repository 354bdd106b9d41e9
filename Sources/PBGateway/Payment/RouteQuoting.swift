import Foundation
import HTTPTypes
import Hummingbird
import PBCore
import PBGuard
import PBPricing
import PBProtocol
import PBStore

/// Quotes one request of a priced route: its dimension values from the request, the oracle's overrides, the
/// gateway's clock and quote TTL.
enum RouteQuoting {
    /// The request's value of each dimension the route reads, from its header or path wildcard; absent values are
    /// left out, so the plan's fallback price applies.
    static func dimensions(_ route: PricedRoute, plan: RoutePricePlan, headers: HTTPFields) -> [String: String] {
        var values: [String: String] = [:]
        for (key, source) in plan.config.dimensions ?? [:] {
            if let header = source.header, let name = HTTPField.Name(header), let value = headers[name] {
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { values[key] = trimmed }
            } else if let wildcard = source.wildcard, wildcard >= 1, wildcard <= route.wildcardValues.count {
                values[key] = route.wildcardValues[wildcard - 1]
            }
        }
        return values
    }

    /// The quote and the 402 offer for one request, reused from `cache` when the same target was quoted under the
    /// same catalog generation in the same second (RouteOfferCache); without a cache, made afresh.
    static func offer(
        _ route: PricedRoute, plan: RoutePricePlan, headers: HTTPFields, method: String, target: String,
        processor: PaymentProcessor, cache: RouteOfferCache?
    ) throws -> RouteOfferCache.Entry {
        let dimensions = dimensions(route, plan: plan, headers: headers)
        let make = { () throws -> RouteOfferCache.Entry in
            let quote = try quote(route, plan: plan, dimensions: dimensions, processor: processor)
            return RouteOfferCache.Entry(
                quote: quote, offer: processor.offer(service: route.service, quote: quote, method: method, target: target))
        }
        guard let cache, let generation = route.generation else { return try make() }
        let key = RouteOfferCache.Key(generation: generation, method: method, target: target, dimensions: dimensions)
        return try cache.entry(for: key, second: processor.now.seconds, make: make)
    }

    /// The quote, or a 400 naming where the dimension value comes from when the plan cannot price the request.
    private static func quote(
        _ route: PricedRoute, plan: RoutePricePlan, dimensions: [String: String], processor: PaymentProcessor
    ) throws -> RouteQuote {
        do {
            return try plan.quote(
                dimensions: dimensions, overrides: route.overrides, now: processor.now,
                lifetimeSeconds: Int64(processor.quoteTTLSeconds))
        } catch where error.kind == .unpricedUnit {
            let sources = (plan.config.dimensions ?? [:]).sorted { $0.key < $1.key }.map { key, source in
                source.header.map { "\(key) from header \($0)" } ?? "\(key) from path segment \(source.wildcard ?? 0)"
            }
            throw GatewayError.badRequest("cannot price this request (\(sources.joined(separator: ", "))): \(error.message)")
        } catch {
            throw GatewayError(.internalServerError, code: "pricing_failed", message: error.description)
        }
    }

    /// The 402's message: what one call costs, or what a usage-priced call holds.
    static func describe(_ quote: RouteQuote, extra: SessionRequirementsExtra) -> String {
        guard quote.holdSeconds != nil else {
            return "this route costs \(extra.unitPrice) per call; pay with PAYMENT-SIGNATURE"
        }
        return "this route is priced per \(extra.unit) at \(extra.unitPrice); a call holds \(quote.amount) base units, "
            + "captures the usage it reports and releases the rest; pay with PAYMENT-SIGNATURE"
    }
}
