import HTTPTypes
import Hummingbird
import PBCore
import PBGuard
import PBMetering
import PBProtocol
import PBStore

/// Prepaid accounts and stream sessions under `/v1` (docs/METERING.md), merchant-key authenticated like the rest
/// of the management API: JSON, decimal strings, cursor pagination, `Idempotency-Key` on POSTs (required for a
/// top-up, whose id it is).
struct MeteringAPI: Sendable {
    let store: any GatewayStore
    let meter: Meter
    /// Checks and charges the window vouchers that pay grant-funded sessions.
    let processor: PaymentProcessor

    func register(on merchant: RouterGroup<GatewayRequestContext>) {
        merchant.post("/accounts") { request, context in
            try await idempotent(request, context) { body in
                let asset = try MeteringRequests.asset(body)
                let account = try await meter.openAccount(
                    id: try MeteringRequests.optionalString(body, "id"), asset: asset,
                    lowBalance: try MeteringRequests.lowBalancePolicy(body, asset: asset))
                return (.created, MeteringJSON.account(account, depletesAt: nil))
            }
        }
        merchant.get("/accounts/:accountId") { _, context in
            try await MeteringRequests.mapping {
                let account = try await account(context)
                let depletesAt = try await meter.depletionTime(of: account)
                return JSONBodies.response(MeteringJSON.account(account, depletesAt: depletesAt))
            }
        }
        merchant.post("/accounts/:accountId/top-ups") { request, context in
            guard let key = request.headers[Idempotency.header] else {
                throw GatewayError.badRequest("Idempotency-Key: is required; it is the top-up's id")
            }
            return try await idempotent(request, context) { body in
                let account = try await account(context)
                let amount = try MeteringRequests.amount(
                    try MeteringRequests.requiredString(body, "amount"), asset: account.asset, field: "amount")
                guard let outcome = try await meter.topUp(accountId: account.id, topUpId: key, amount: amount) else {
                    throw GatewayError.notFound("no account \(account.id)")
                }
                let (result, resumed) = outcome
                let depletesAt = try await meter.depletionTime(of: result.account)
                return (
                    result.isReplay ? .ok : .created,
                    .object([
                        ("topUp", MeteringJSON.topUp(result.topUp)),
                        ("account", MeteringJSON.account(result.account, depletesAt: depletesAt)),
                        ("resumedSessions", .array(resumed.map { .string($0.id) })),
                    ])
                )
            }
        }
        merchant.get("/accounts/:accountId/events") { request, context in
            try await events(request, accountId: try context.parameters.require("accountId"), sessionId: nil)
        }
        merchant.get("/metering-events") { request, _ in
            let query = request.uri.queryParameters
            return try await events(request, accountId: query["accountId"].map(String.init), sessionId: query["sessionId"].map(String.init))
        }
        MeterSessionsAPI(api: self).register(on: merchant)
    }

    /// Parses the body, runs `operation` under the request's `Idempotency-Key` (when sent) with metering errors
    /// answered as JSON errors.
    func idempotent(
        _ request: Request, _ context: GatewayRequestContext,
        _ operation: (JSONValue) async throws -> (HTTPResponse.Status, JSONValue)
    ) async throws -> Response {
        let (body, bytes) = try await JSONBodies.read(request, context: context)
        guard case .object = body else { throw GatewayError.badRequest("the body must be a JSON object") }
        return try await Idempotency(store: store).run(request, body: bytes, at: meter.clock.now) {
            try await MeteringRequests.mapping { try await operation(body) }
        }
    }

    func events(_ request: Request, accountId: String?, sessionId: String?) async throws -> Response {
        let (cursor, limit) = try JSONBodies.page(request)
        let page = try await store.meteringEvents(
            accountId: accountId, sessionId: sessionId, after: try MeteringRequests.cursor(cursor), limit: limit)
        return JSONBodies.response(JSONBodies.list(page.items.map(MeteringJSON.event), nextCursor: page.nextCursor))
    }

    private func account(_ context: GatewayRequestContext) async throws -> Account {
        let id = try context.parameters.require("accountId")
        guard let account = try await store.account(id) else { throw GatewayError.notFound("no account \(id)") }
        return account
    }
}

/// `/v1/meter-sessions`: start, report usage in bulk, pause, resume, stop, read with state, statement and
/// predicted depletion, list usage and events.
struct MeterSessionsAPI: Sendable {
    let api: MeteringAPI
    var store: any GatewayStore { api.store }
    var meter: Meter { api.meter }

    func register(on merchant: RouterGroup<GatewayRequestContext>) {
        let api = self.api
        merchant.post("/meter-sessions") { request, context in
            try await api.idempotent(request, context) { body in
                let serviceId = try MeteringRequests.requiredString(body, "service")
                guard let service = try await store.service(serviceId) else {
                    throw GatewayError.badRequest("service: no service '\(serviceId)'")
                }
                let id = try MeteringRequests.optionalString(body, "id")
                let plan = try MeteringRequests.plan(body["plan"])
                let metering = try MeteringRequests.timeMetering(body["metering"])
                let session: MeterSession
                if body["voucher"] != nil {
                    guard body["accountId"] == nil else {
                        throw GatewayError.badRequest("accountId: a session is paid by an account or a voucher, not both")
                    }
                    let voucher = try MeteringRequests.voucher(body)
                    let channel = try await api.processor.openSessionWindow(
                        voucher: voucher, grant: try MeteringRequests.grant(body), service: service)
                    session = try await MeteringRequests.mapping {
                        try await meter.startGrantSession(
                            id: id, funding: try GrantFunding(grantId: channel.grantId, payee: channel.payee.lowercased),
                            service: serviceId, plan: plan, timeMetering: metering)
                    }
                } else {
                    session = try await meter.startSession(
                        id: id, accountId: try MeteringRequests.requiredString(body, "accountId"), service: serviceId,
                        plan: plan, timeMetering: metering)
                }
                let created = try await sessionJSON(session.id)
                return (.created, created)
            }
        }
        // A grant-funded session's "top-up": the agent's next window voucher on the channel, which resumes the
        // channel's sessions stopped for insufficient funds.
        merchant.post("/meter-sessions/:sessionId/vouchers") { request, context in
            let sessionId = try context.parameters.require("sessionId")
            return try await api.idempotent(request, context) { body in
                guard let session = try await store.session(sessionId) else { throw GatewayError.notFound("no session \(sessionId)") }
                guard let funding = session.funding, let service = try await store.service(session.service) else {
                    throw GatewayError.badRequest("voucher: session \(sessionId) is paid by a prepaid account; top it up")
                }
                let channel = try await api.processor.openSessionWindow(
                    voucher: try MeteringRequests.voucher(body), grant: nil, service: service)
                guard channel.grantId == funding.grantId, channel.payee.lowercased == funding.payee else {
                    throw GatewayError.badRequest("voucher: pays another channel than session \(sessionId)'s")
                }
                _ = try await meter.resumeFundedSessions(accountId: funding.accountId)
                return (.ok, try await sessionJSON(sessionId))
            }
        }
        merchant.get("/meter-sessions/:sessionId") { _, context in
            let session = try await sessionJSON(try context.parameters.require("sessionId"))
            return JSONBodies.response(session)
        }
        merchant.post("/meter-sessions/:sessionId/usage") { request, context in
            let sessionId = try context.parameters.require("sessionId")
            return try await api.idempotent(request, context) { body in
                let usages = try MeteringRequests.usages(body, now: meter.clock.now)
                guard let update = try await meter.recordUsage(sessionId: sessionId, usages) else {
                    throw GatewayError.notFound("no session \(sessionId)")
                }
                let session = try await sessionJSON(sessionId)
                return (
                    .ok,
                    .object([
                        ("recordedCount", .number(String(update.recorded.count))),
                        ("duplicateCount", .number(String(update.duplicates.count))),
                        ("refused", .array(update.refused.map { .string($0) })),
                        ("debited", MeteringJSON.money(update.debited)),
                        ("session", session),
                    ])
                )
            }
        }
        let actions: [(String, @Sendable (String, JSONValue) async throws -> SessionUpdate?)] = [
            ("pause", { id, _ in try await meter.pause(sessionId: id) }),
            ("resume", { id, _ in try await meter.resume(sessionId: id) }),
            ("stop", { id, body in try await meter.stop(sessionId: id, reason: try MeteringRequests.stopReason(body)) }),
        ]
        for (action, perform) in actions {
            merchant.post("/meter-sessions/:sessionId/\(action)") { request, context in
                let sessionId = try context.parameters.require("sessionId")
                return try await api.idempotent(request, context) { body in
                    guard try await perform(sessionId, body) != nil else { throw GatewayError.notFound("no session \(sessionId)") }
                    let session = try await sessionJSON(sessionId)
                    return (.ok, session)
                }
            }
        }
        merchant.get("/meter-sessions/:sessionId/usage") { request, context in
            let (cursor, limit) = try JSONBodies.page(request)
            let page = try await store.usageEvents(
                sessionId: try context.parameters.require("sessionId"), after: try MeteringRequests.cursor(cursor), limit: limit)
            return JSONBodies.response(JSONBodies.list(page.items.map(MeteringJSON.usage), nextCursor: page.nextCursor))
        }
        merchant.get("/meter-sessions/:sessionId/events") { request, context in
            try await api.events(request, accountId: nil, sessionId: try context.parameters.require("sessionId"))
        }
    }

    /// The session as stored, with its statement and the account's predicted depletion.
    private func sessionJSON(_ sessionId: String) async throws -> JSONValue {
        try await MeteringRequests.mapping {
            guard let session = try await store.session(sessionId), let account = try await store.account(session.accountId)
            else { throw GatewayError.notFound("no session \(sessionId)") }
            let statement = try await meter.statement(sessionId: sessionId)
            let depletesAt = try await meter.depletionTime(of: account)
            return MeteringJSON.session(session, statement: statement, depletesAt: depletesAt)
        }
    }
}
