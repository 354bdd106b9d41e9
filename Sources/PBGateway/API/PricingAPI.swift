import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PBCore
import PBCrypto
import PBGuard
import PBPricing
import PBStore

/// Dynamic pricing on the management API (merchant key): the rate oracle under `/v1/services/{id}/rates` and the
/// capture of held payments, `POST /v1/payments/{receiptId}/capture`.
struct PricingAPI: Sendable {
    let processor: PaymentProcessor
    let metrics: GatewayMetrics
    /// Called after a rate is pushed or withdrawn, so quotes use it at once.
    let onRatesChanged: @Sendable () async throws -> Void
    var store: any GatewayStore { processor.store }

    func register(on merchant: RouterGroup<GatewayRequestContext>) {
        merchant.post("/services/:serviceId/rates") { request, context in
            let service = try await service(context)
            let (body, bytes) = try await JSONBodies.read(request, context: context)
            return try await Idempotency(store: store).run(request, body: bytes, at: processor.now) {
                let override = try Self.rate(from: body, service: service)
                let now = processor.now
                let created = try await store.upsertRate(
                    RateRecord(serviceId: service.id, override: override, createdAt: now, updatedAt: now))
                try await onRatesChanged()
                let stored = try await store.rates(serviceId: service.id).first { $0.id == override.id }
                return (created ? .created : .ok, stored.map { rateJSON($0) } ?? .null)
            }
        }
        merchant.get("/services/:serviceId/rates") { _, context in
            let service = try await service(context)
            let rates = try await store.rates(serviceId: service.id)
            return JSONBodies.response(JSONBodies.list(rates.map { rateJSON($0) }, nextCursor: nil))
        }
        merchant.delete("/services/:serviceId/rates/:rateId") { _, context in
            let service = try await service(context)
            let id = try context.parameters.require("rateId")
            guard try await store.deleteRate(serviceId: service.id, id: id) else {
                throw GatewayError.notFound("service \(service.id) has no rate \(id)")
            }
            try await onRatesChanged()
            return Response(status: .noContent)
        }
        merchant.post("/payments/:receiptId/capture") { request, context in
            guard let receiptId = try? Bytes32(hex: try context.parameters.require("receiptId")) else {
                throw GatewayError.badRequest("receiptId must be 0x + 64 hex digits")
            }
            let (body, bytes) = try await JSONBodies.read(request, context: context)
            return try await Idempotency(store: store).run(request, body: bytes, at: processor.now) {
                try await capture(receiptId, body: body, logger: context.logger)
            }
        }
    }

    private func service(_ context: GatewayRequestContext) async throws -> ServiceRecord {
        let id = try context.parameters.require("serviceId")
        guard let service = try await store.service(id) else { throw GatewayError.notFound("no service \(id)") }
        return service
    }

    /// A pushed rate: `{id, route?, unit?, multiplier | price, notBefore?, notAfter?}`, times in Unix seconds as
    /// decimal strings, money and multipliers as decimal strings. Errors name the field.
    static func rate(from body: JSONValue, service: ServiceRecord) throws -> RateOverrideConfig {
        do throws(GatewayConfigurationError) {
            var fields = try JSONFields(body, path: "")
            let id = try fields.requiredString("id")
            guard id.utf8.count <= 128, id.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") }) else {
                throw GatewayConfigurationError(field: "id", "must be 1-128 printable ASCII characters without '/' or spaces")
            }
            if let named = try fields.string("service"), named != service.id {
                throw GatewayConfigurationError(field: "service", "is \(named), but this is service \(service.id)")
            }
            let route = try fields.string("route")
            if let route, !service.routes.contains(where: { service.routeName($0) == route }) {
                let names = service.routes.filter { !$0.isFree }.map { service.routeName($0) }
                throw GatewayConfigurationError(field: "route", "'\(route)' is not one of \(names.joined(separator: ", "))")
            }
            func seconds(_ key: String) throws(GatewayConfigurationError) -> Int64? {
                guard let text = try fields.string(key) else { return nil }
                guard text.utf8.allSatisfy({ (48...57).contains($0) }), let value = Int64(text), value < 253_402_300_800
                else { throw GatewayConfigurationError(field: key, "must be Unix seconds as a decimal string") }
                return value * 1000
            }
            let config = RateOverrideConfig(
                id: id, service: service.id, route: route, unit: try fields.string("unit"),
                multiplier: try fields.string("multiplier"), price: try fields.string("price"),
                notBeforeMilliseconds: try seconds("notBefore"), notAfterMilliseconds: try seconds("notAfter"))
            try fields.rejectUnknownKeys()
            do {
                _ = try RateOverride(config: config, decimals: service.assetDecimals)
            } catch {
                throw GatewayConfigurationError(field: error.field ?? "", error.message)
            }
            return config
        } catch {
            throw GatewayError.invalidField(error.field, error.message)
        }
    }

    private func rateJSON(_ rate: RateRecord) -> JSONValue {
        let override = rate.override, now = processor.now
        let active = (override.notBeforeMilliseconds.map { $0 <= now.milliseconds } ?? true)
            && (override.notAfterMilliseconds.map { now.milliseconds < $0 } ?? true)
        func seconds(_ milliseconds: Int64?) -> JSONValue { milliseconds.map { .string(String($0 / 1000)) } ?? .null }
        return .object([
            ("id", .string(override.id)), ("service", .string(rate.serviceId)),
            ("route", override.route.map { .string($0) } ?? .null), ("unit", override.unit.map { .string($0) } ?? .null),
            ("multiplier", override.multiplier.map { .string($0) } ?? .null),
            ("price", override.price.map { .string($0) } ?? .null),
            ("notBefore", seconds(override.notBeforeMilliseconds)), ("notAfter", seconds(override.notAfterMilliseconds)),
            ("active", .bool(active)), ("createdAt", .string(String(rate.createdAt.seconds))),
            ("updatedAt", .string(String(rate.updatedAt.seconds))),
        ])
    }

    /// `{"usage": {"input_tokens": "1234", …}}`: captures a held payment; repeating the same capture answers the
    /// stored one, a different usage on a captured hold is a 409, an expired hold is released and refused (409).
    private func capture(_ receiptId: Bytes32, body: JSONValue, logger: Logger) async throws
        -> (HTTPResponse.Status, JSONValue)
    {
        guard let usageJSON = body["usage"] else { throw GatewayError.invalidField("usage", "is required") }
        let usage: ReportedUsage
        do { usage = try ReportedUsage(json: usageJSON) } catch { throw GatewayError.invalidField(error.field, error.message) }
        let result: CaptureResult
        do { result = try await processor.capture(receiptId, usage: usage) } catch let error as UsageReportError {
            throw GatewayError.invalidField(error.field.isEmpty ? "usage" : "usage.\(error.field)", error.message)
        } catch let error as PricingError {
            throw GatewayError.invalidField("usage", error.message)
        }
        let decimals = try await decimals(of: receiptId)
        switch result {
        case .captured(let paid, let hold):
            metrics.recordCapture(
                heldBaseUnits: hold.amount, capturedBaseUnits: paid.record.amount, overHold: hold.capture?.overHold ?? false)
            if hold.capture?.overHold == true {
                logger.warning("usage over the hold; captured the hold", metadata: ["payment.receipt": .string(receiptId.hex)])
            }
            return (.ok, HoldJSON.payment(paid.record, hold: hold, decimals: decimals))
        case .alreadyCaptured(let paid, let hold):
            var expected = usage.byName
            if expected["call"] == nil, hold.capture?.usage["call"] != nil { expected["call"] = 1 }
            guard hold.capture?.usage == expected else {
                throw GatewayError.conflict("payment \(receiptId) was already captured with another usage")
            }
            return (.ok, HoldJSON.payment(paid.record, hold: hold, decimals: decimals))
        case .expired(let payment):
            if let payment { metrics.recordRelease(amountBaseUnits: payment.amount) }
            throw GatewayError(.conflict, code: "hold_expired", message: "the hold on \(receiptId) expired and was released")
        case .notHeld(let payment?):
            throw GatewayError(
                .conflict, code: "not_held", message: "payment \(receiptId) is \(payment.status.rawValue), not held")
        case .notHeld(nil):
            throw GatewayError.notFound("no payment \(receiptId)")
        }
    }

    private func decimals(of receiptId: Bytes32) async throws -> Int {
        guard let payment = try await store.payment(receiptId),
            let service = try await store.service(payment.service)
        else { return 6 }
        return service.assetDecimals
    }
}
