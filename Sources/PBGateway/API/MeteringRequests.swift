import Foundation
import HTTPTypes
import PBCore
import PBMetering
import PBPricing
import PBProtocol

/// Reading the metering API's request bodies. Every error is a 400 naming the field at fault (`events[3].id`,
/// `plan.prices[0].rate`); nothing is recorded for a request that fails here.
enum MeteringRequests {
    /// Runs an operation, answering metering and pricing errors as the API's JSON errors: invalid input 400,
    /// insufficient funds 402 (`insufficient_funds`), a state conflict 409.
    static func mapping<Value>(_ body: () async throws -> Value) async throws -> Value {
        do { return try await body() } catch let error as MeteringError {
            switch error.kind {
            case .invalid, .overflow: throw GatewayError.badRequest(error.description)
            case .insufficientFunds: throw GatewayError(HTTPResponse.Status(code: 402), code: "insufficient_funds", message: error.message)
            case .conflict: throw GatewayError.conflict(error.message)
            }
        } catch let error as PricingError {
            throw GatewayError.badRequest(error.description)
        }
    }

    static func optionalString(_ body: JSONValue, _ key: String) throws -> String? {
        guard let value = body[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw GatewayError.badRequest("\(key): must be a string") }
        return text
    }

    static func requiredString(_ body: JSONValue, _ key: String) throws -> String {
        guard let text = try optionalString(body, key) else { throw GatewayError.badRequest("\(key): is required") }
        return text
    }

    /// A whole number written as a JSON number (or digit string) within `range`.
    static func integer(_ value: JSONValue?, field: String, range: ClosedRange<Int64>) throws -> Int64 {
        let text: String?
        switch value {
        case .some(.number(let digits)): text = digits
        case .some(.string(let digits)): text = digits
        default: text = nil
        }
        guard let text, let number = Int64(text), range.contains(number) else {
            throw GatewayError.badRequest("\(field): must be a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    static func asset(_ body: JSONValue) throws -> Asset {
        let symbol = try optionalString(body, "asset") ?? "USDC"
        let decimals = try body["decimals"].map { try integer($0, field: "decimals", range: 0...36) } ?? 6
        do { return try Asset(symbol: symbol, decimals: Int(decimals)) } catch {
            throw GatewayError.badRequest("asset: \(error)")
        }
    }

    static func amount(_ text: String, asset: Asset, field: String) throws -> Amount {
        do { return try asset.amount(text) } catch { throw GatewayError.badRequest("\(field): \(error)") }
    }

    static func lowBalancePolicy(_ body: JSONValue, asset: Asset) throws -> LowBalancePolicy {
        let reference = try optionalString(body, "lowBalanceReference").map {
            try amount($0, asset: asset, field: "lowBalanceReference")
        }
        return try LowBalancePolicy(fraction: try optionalString(body, "lowBalanceFraction") ?? "0.1", fixedReference: reference)
    }

    /// `plan` in `PricePlanConfig` form (docs/PRICING.md, Configuration); errors name `plan.<field>`.
    static func plan(_ value: JSONValue?) throws -> PricePlan {
        guard let value, case .object = value else { throw GatewayError.badRequest("plan: is required, a price plan object") }
        let config: PricePlanConfig
        do { config = try JSONDecoder().decode(PricePlanConfig.self, from: Data(value.serialized().utf8)) } catch {
            throw GatewayError.badRequest("plan: not a price plan (\(error))")
        }
        do { return try PricePlan(config: config) } catch {
            throw GatewayError.badRequest("plan.\(error)")
        }
    }

    /// `metering: {unit, intervalSeconds, dimensions}`, or nil for a session of reported usage only.
    static func timeMetering(_ value: JSONValue?) throws -> TimeMetering? {
        guard let value, value != .null else { return nil }
        let unitName = try requiredString(value, "unit")
        let unit: PricingUnit
        do throws(PricingError) { unit = try PricingUnit(name: unitName) } catch {
            throw GatewayError.badRequest("metering.unit: \(error.message)")
        }
        let interval = try value["intervalSeconds"].map {
            try integer($0, field: "metering.intervalSeconds", range: TimeMetering.intervalRange)
        } ?? 60
        return try TimeMetering(unit: unit, intervalSeconds: interval, dimensions: try dimensions(value["dimensions"], field: "metering.dimensions"))
    }

    static func dimensions(_ value: JSONValue?, field: String) throws -> [String: String] {
        guard let value, value != .null else { return [:] }
        guard let members = value.objectMembers else { throw GatewayError.badRequest("\(field): must be an object of strings") }
        var dimensions: [String: String] = [:]
        for (key, member) in members {
            guard let text = member.stringValue, (1...64).contains(key.utf8.count), (1...128).contains(text.utf8.count) else {
                throw GatewayError.badRequest("\(field).\(key): must be a string of 1...128 characters")
            }
            dimensions[key] = text
        }
        return dimensions
    }

    /// `{"events": [{"id", "at"?, "quantities": {"output_token": 350}, "dimensions"?}]}`; `at` (Unix ms) defaults
    /// to `now`. Shape errors name the item; `UsageBatch.validate` checks the rest against the session's plan.
    static func usages(_ body: JSONValue, now: UnixTime) throws -> [ReportedUsage] {
        guard let items = body["events"]?.arrayValues else { throw GatewayError.badRequest("events: must be an array") }
        guard items.count <= UsageBatch.maximumCount else {
            throw GatewayError.badRequest("events: at most \(UsageBatch.maximumCount) events a batch")
        }
        return try items.enumerated().map { index, item in
            let field = "events[\(index)]"
            guard case .object = item else { throw GatewayError.badRequest("\(field): must be an object") }
            let id = try optionalString(item, "id") ?? ""
            let at = try item["at"].map { try integer($0, field: "\(field).at", range: 0...253_402_300_799_999) }
            guard let members = item["quantities"]?.objectMembers else {
                throw GatewayError.badRequest("\(field).quantities: must be an object of unit: quantity")
            }
            let quantities = try members.map { name, value in
                let unit: PricingUnit
                do throws(PricingError) { unit = try PricingUnit(name: name) } catch {
                    throw GatewayError.badRequest("\(field).quantities.\(name): \(error.message)")
                }
                let quantity = try integer(value, field: "\(field).quantities.\(name)", range: 0...Int64.max)
                return UsageQuantity(unit: unit, quantity: UInt64(quantity))
            }
            return ReportedUsage(
                id: id, at: at.map(UnixTime.init(milliseconds:)) ?? now, quantities: quantities,
                dimensions: try dimensions(item["dimensions"], field: "\(field).dimensions"))
        }
    }

    /// `voucher`: the agent's signed window-opening voucher (`{typedData, signature}` or the wire form).
    static func voucher(_ body: JSONValue) throws -> SignedPaymentVoucher {
        guard let value = body["voucher"], case .voucher(let voucher) = try SessionDocument.parse(value) else {
            throw GatewayError.badRequest("voucher: must be a signed payment voucher")
        }
        return voucher
    }

    /// `grant`, optional: the signed grant the voucher spends under, when the gateway has not registered it.
    static func grant(_ body: JSONValue) throws -> SignedSessionGrant? {
        guard let value = body["grant"], value != .null else { return nil }
        guard case .grant(let grant) = try SessionDocument.parse(value) else {
            throw GatewayError.badRequest("grant: must be a signed session grant")
        }
        return grant
    }

    /// `reason` of a stop: `completed` (default) or `cancelled`.
    static func stopReason(_ body: JSONValue) throws -> StopReason {
        switch try optionalString(body, "reason") ?? "completed" {
        case "completed": .completed
        case "cancelled": .cancelled
        default: throw GatewayError.badRequest("reason: is completed or cancelled")
        }
    }

    /// `?cursor=` of the metering lists: a positive sequence number.
    static func cursor(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard let number = Int64(text), number > 0 else { throw GatewayError.badRequest("cursor: malformed") }
        return String(number)
    }
}
