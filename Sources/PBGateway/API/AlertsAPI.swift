import HTTPTypes
import Hummingbird
import PBAlerts
import PBCore
import PBSentinel
import PBStore

/// `/v1/alerts` (docs/SENTINEL.md, "Alerts"), merchant-key authenticated: the delivery log and the dead-letter list
/// (newest first, cursor pagination), and a test alert sent through every configured channel.
struct AlertsAPI: Sendable {
    let store: any GatewayStore
    let dispatcher: AlertDispatcher
    let clock: any WallClock

    func register(on merchant: RouterGroup<GatewayRequestContext>) {
        merchant.get("/alerts/deliveries") { request, _ in
            let (cursor, limit) = try JSONBodies.page(request)
            let alertId = request.uri.queryParameters["alertId"].map(String.init)
            let page = try await store.alertDeliveries(
                alertId: alertId, after: try MeteringRequests.cursor(cursor), limit: limit)
            return JSONBodies.response(JSONBodies.list(page.items.map(Self.delivery), nextCursor: page.nextCursor))
        }
        merchant.get("/alerts/dead-letters") { request, _ in
            let (cursor, limit) = try JSONBodies.page(request)
            let page = try await store.alertDeadLetters(after: try MeteringRequests.cursor(cursor), limit: limit)
            return JSONBodies.response(JSONBodies.list(page.items.map(Self.deadLetter), nextCursor: page.nextCursor))
        }
        merchant.post("/alerts/test") { request, context in
            let (body, _) = try await JSONBodies.read(request, context: context)
            guard case .object = body else { throw GatewayError.badRequest("the body must be a JSON object") }
            var severity = Severity.low
            if let value = body["severity"] {
                guard let text = value.stringValue, let parsed = Severity(rawValue: text) else {
                    throw GatewayError.badRequest("severity: one of low, medium, high, critical")
                }
                severity = parsed
            }
            guard !dispatcher.channels.isEmpty else {
                throw GatewayError(.conflict, code: "no_alert_channels", message: "no alert channel is configured (alerts: in pb.yaml)")
            }
            let alert = Alert(
                kind: "test", severity: severity, subject: "gateway", title: "Test alert from the PB-Stream gateway",
                details: [AlertDetail("reason", "sent by POST /v1/alerts/test")], time: clock.now)
            guard dispatcher.submit(alert) else {
                throw GatewayError(.serviceUnavailable, code: "alert_queue_full", message: "the alert queue is full or shut down")
            }
            let channels = dispatcher.channels.filter { severity >= $0.minimumSeverity }.map { JSONValue.string($0.name) }
            return JSONBodies.response(
                .object([("alertId", .string(alert.id)), ("queued", .bool(true)), ("channels", .array(channels))]),
                status: .accepted)
        }
    }

    static func delivery(_ record: AlertDeliveryRecord) -> JSONValue {
        let attempt = record.value
        return .object([
            ("sequence", .number(String(record.sequence))), ("alertId", .string(attempt.alertId)),
            ("channel", .string(attempt.channel)), ("attempt", .number(String(attempt.attempt))),
            ("outcome", .string(attempt.outcome.rawValue)), ("detail", .string(attempt.detail)),
            ("kind", .string(attempt.kind)), ("severity", .string(attempt.severity)), ("subject", .string(attempt.subject)),
            ("at", MeteringJSON.time(attempt.at)),
        ])
    }

    static func deadLetter(_ record: AlertDeadLetterRecord) -> JSONValue {
        let letter = record.value
        return .object([
            ("sequence", .number(String(record.sequence))), ("alertId", .string(letter.alertId)),
            ("channel", .string(letter.channel)), ("attempts", .number(String(letter.attempts))),
            ("lastError", .string(letter.lastError)),
            ("alert", (try? JSONValue.parse(letter.document)) ?? .string(letter.document)),
            ("at", MeteringJSON.time(letter.at)),
        ])
    }
}
