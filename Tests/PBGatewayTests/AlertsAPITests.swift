import Foundation
import Logging
import PBAlerts
import PBCore
import PBGateway
import PBStore
import PBTestSupport
import ServiceLifecycle
import Testing

/// `/v1/alerts` through a running gateway: a test alert goes through the dispatcher (a Service, as in `pb serve`)
/// to a real webhook receiver, and the delivery log and dead letters read back through the API.
@Suite struct AlertsAPITests {
    static let secret = "whsec_alerts_api_0123456789"

    /// Runs the gateway's dispatcher in a ServiceGroup during `body`, then shuts it down gracefully.
    static func dispatching(_ gateway: RunningGateway, _ body: () async throws -> Void) async throws {
        var logger = Logger(label: "pb.test.alerts")
        logger.logLevel = .critical
        let group = ServiceGroup(services: [gateway.application.alerts], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func aTestAlertIsDeliveredAndLogged() async throws {
        let receiver = WebhookReceiver(failuresFirst: 1)
        try await receiver.listen { hookURL in
            try await withGateway(
                fixture: GatewayFixture(),
                configure: {
                    var webhook = AlertsConfiguration.Webhook(url: hookURL)
                    webhook.secret = Self.secret
                    $0.alerts.webhook = webhook
                    $0.alerts.dispatcher.retry = RetryPolicy(firstDelay: .milliseconds(5), maximumDelay: .milliseconds(20))
                }
            ) { gateway in
                try await Self.dispatching(gateway) {
                    let sent = try await gateway.merchant(.POST, "/v1/alerts/test", #"{"severity": "high"}"#)
                    #expect(sent.status == 202, "\(sent.json)")
                    #expect(sent.json["channels"] == .array([.string("webhook")]))
                    let alertId = try #require(sent.json["alertId"]?.text)
                    var log = JSONValue.null
                    try await eventually("the delivery") {
                        log = try await gateway.merchant(.GET, "/v1/alerts/deliveries?alertId=\(alertId)").json
                        return log["data"]?.arrayValues?.count == 2
                    }
                    let entries = try #require(log["data"]?.arrayValues)
                    #expect(entries.map { $0["outcome"]?.text } == ["delivered", "retrying"])
                    #expect(entries.last?["detail"]?.text == "HTTP 500")
                    #expect(entries.first?["severity"]?.text == "high")

                    let first = try await gateway.merchant(.GET, "/v1/alerts/deliveries?limit=1").json
                    let cursor = try #require(first["nextCursor"]?.text)
                    let second = try await gateway.merchant(.GET, "/v1/alerts/deliveries?limit=1&cursor=\(cursor)").json
                    #expect(second["data"]?.arrayValues?.first?["outcome"]?.text == "retrying")
                    #expect(second["nextCursor"] == .null)
                    #expect(try await gateway.merchant(.GET, "/v1/alerts/dead-letters").json["data"] == .array([]))

                    let delivery = try #require(receiver.received.first)
                    try WebhookSignature.verify(
                        header: delivery.signature, body: delivery.body, secret: Array(Self.secret.utf8),
                        now: gateway.clock.now.seconds)
                    #expect(try JSONValue.parse(delivery.body)["id"]?.text == alertId)
                }
            }
        }
    }

    @Test func badRequestsAreNamedAndNothingIsSentWithoutChannels() async throws {
        try await withGateway(fixture: GatewayFixture()) { gateway in
            let badSeverity = try await gateway.merchant(.POST, "/v1/alerts/test", #"{"severity": "urgent"}"#)
            #expect(badSeverity.status == 400)
            #expect(badSeverity.json["message"]?.text?.contains("severity") == true)
            #expect(try await gateway.merchant(.GET, "/v1/alerts/deliveries?limit=0").status == 400)
            #expect(try await gateway.merchant(.GET, "/v1/alerts/dead-letters?cursor=zz").status == 400)
            let none = try await gateway.merchant(.POST, "/v1/alerts/test", "{}")
            #expect(none.status == 409)
            #expect(none.json["error"]?.text == "no_alert_channels")
            #expect(try await gateway.send(.GET, "/v1/alerts/deliveries").status == 401, "merchant key required")
        }
    }

    @Test func theAlertsSectionIsReadWithSecretsFromTheEnvironment() throws {
        let yaml = """
            alerts:
              queueCapacity: 64
              overflow: dropOldest
              maximumAttempts: 4
              webhook:
                url: https://ops.example.com/pb-alerts
                minimumSeverity: medium
              email:
                host: smtp.example.com
                port: 587
                from: sentinel@example.com
                to: [ops@example.com, owner@example.com]
                startTLS: true
                username: alerts
                minimumSeverity: high
              telegram:
                chatId: "-1001234567"
                baseURL: http://127.0.0.1:9999
            """
        let environment = [
            "PB_ALERT_WEBHOOK_SECRET": "whsec_from_env_0123456", "PB_ALERT_SMTP_PASSWORD": "smtp-pass-XYZ",
            "PB_ALERT_TELEGRAM_TOKEN": "123:bot-token-XYZ",
        ]
        let alerts = try GatewayConfiguration(yaml: yaml, environment: environment).alerts
        #expect(alerts.dispatcher.queueCapacity == 64 && alerts.dispatcher.overflow == .dropOldest)
        #expect(alerts.dispatcher.retry.maximumAttempts == 4)
        #expect(alerts.webhook?.secret == "whsec_from_env_0123456" && alerts.webhook?.minimumSeverity == .medium)
        #expect(alerts.email?.smtp.password == "smtp-pass-XYZ" && alerts.email?.to.count == 2)
        #expect(alerts.email?.smtp.startTLS == true && alerts.email?.minimumSeverity == .high)
        #expect(alerts.telegram?.token == "123:bot-token-XYZ" && alerts.telegram?.baseURL == "http://127.0.0.1:9999")
        let channels = alerts.makeChannels(httpClient: .shared, clock: SystemWallClock())
        #expect(channels.map(\.name) == ["webhook", "email", "telegram"])
        for secret in environment.values { #expect(!alerts.description.contains(secret), "secrets never printed") }

        #expect(throws: GatewayConfigurationError(
            field: "alerts.webhook.secretEnv", "set PB_ALERT_WEBHOOK_SECRET to a secret of at least 16 characters")
        ) { _ = try GatewayConfiguration(yaml: yaml, environment: [:]) }
        let badSeverity = yaml.replacingOccurrences(of: "minimumSeverity: medium", with: "minimumSeverity: loud")
        #expect(throws: GatewayConfigurationError(
            field: "alerts.webhook.minimumSeverity", "'loud' is not low, medium, high or critical")
        ) { _ = try GatewayConfiguration(yaml: badSeverity, environment: environment) }
        let badAddress = yaml.replacingOccurrences(of: "owner@example.com", with: "owner")
        #expect(throws: GatewayConfigurationError.self) { _ = try GatewayConfiguration(yaml: badAddress, environment: environment) }
    }
}
