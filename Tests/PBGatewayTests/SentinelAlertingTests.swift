import Foundation
import PBAlerts
import PBCore
import PBGateway
import PBTestSupport
import Testing

/// Sentinel's events reach people: a stolen key's burst freezes the key, and the rule firing and the freeze arrive
/// at the merchant's webhook, signed, through the gateway's alert dispatcher (as `pb serve` wires it).
@Suite struct SentinelAlertingTests {
    static let secret = "whsec_sentinel_alerts_0123456789"

    @Test func aFreezeArrivesAtTheWebhookSigned() async throws {
        let receiver = WebhookReceiver(failuresFirst: 0)
        try await receiver.listen { hookURL in
            let fixture = GatewayFixture()
            let clock = ManualWallClock(SystemWallClock().now)
            try await withGateway(
                fixture: fixture, clock: clock,
                configure: {
                    var webhook = AlertsConfiguration.Webhook(url: hookURL)
                    webhook.secret = Self.secret
                    $0.alerts.webhook = webhook
                }
            ) { gateway in
                try await AlertsAPITests.dispatching(gateway) {
                    let grant = SentinelGatewayTests.grant(fixture, clock)
                    let client = try fixture.client(grant)
                    #expect(try await SentinelGatewayTests.burst(client, gateway, calls: 105) == 101)
                    try await eventually("the alerts at the webhook") {
                        let kinds = receiver.received.compactMap { try? JSONValue.parse($0.body)["kind"]?.stringValue }
                        return kinds.contains("ruleFired") && kinds.contains("frozen")
                    }
                    for delivery in receiver.received {
                        try WebhookSignature.verify(
                            header: delivery.signature, body: delivery.body, secret: Array(Self.secret.utf8),
                            now: SystemWallClock().now.seconds)
                    }
                    let frozen = try #require(receiver.received.first {
                        (try? JSONValue.parse($0.body)["kind"]?.stringValue) == "frozen"
                    })
                    #expect(String(decoding: frozen.body, as: UTF8.self).contains(grant.digest.hex.dropFirst(2).prefix(16)))
                }
            }
        }
    }
}
