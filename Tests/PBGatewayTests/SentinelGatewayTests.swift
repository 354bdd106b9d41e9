import AsyncHTTPClient
import Foundation
import PBClient
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBSentinel
import PBStore
import PBStoreSQLite
import Synchronization
import Testing

/// Sentinel on the gateway's payment path, live over loopback: freezes within a burst, blocks with a reason,
/// owners unfreeze, the rules API validates, and a restart remembers. The gateway runs on a `ManualWallClock`, so
/// a burst is "within the minute" however loaded the machine is.
@Suite struct SentinelGatewayTests {
    static let chat = "/v1/chat"

    @Test func aBurstFreezesTheKeyWithinTheBurstAndNothingMoreIsCharged() async throws {
        let fixture = GatewayFixture()
        let clock = ManualWallClock(SystemWallClock().now)
        try await withGateway(fixture: fixture, clock: clock) { gateway in
            let grant = Self.grant(fixture, clock)
            let client = try fixture.client(grant)
            let frozenAt = try await Self.burst(client, gateway, calls: 110)
            // The seed's rule: more than 100 calls in a minute. Call 101 is the first refused, by the freeze itself.
            #expect(frozenAt == 101)
            let next = try await client.send(method: "POST", url: gateway.url(Self.chat), body: Array("again".utf8))
            #expect(next.status == 403)
            #expect(try JSONValue.parse(next.bodyText)["error"]?.stringValue == "pb_key_frozen")
            let record = try #require(try await gateway.store.grant(grant.digest))
            #expect(record.status == .frozen)
            #expect(record.statusReason?.contains("call-burst") == true)
            #expect(record.spent == 100 * GatewayFixture.price)
            #expect(try await gateway.store.payments(grantId: grant.digest, after: nil, limit: 500).items.count == 100)

            let events = try await Self.events(gateway, key: grant.digest, atLeast: 2)
            #expect(events.contains { $0["kind"]?.stringValue == "ruleFired" && $0["rule"]?.stringValue == "call-burst" })
            #expect(events.contains { $0["kind"]?.stringValue == "frozen" && $0["severity"]?.stringValue == "high" })
        }
    }

    @Test func anAmountSpikeIsBlockedWithItsReasonAndTheKeyStaysUsable() async throws {
        var withBigRoute = GatewayFixture()
        withBigRoute.extraRoutes = [RouteRecord(method: "POST", path: "/v1/big", priceBaseUnits: 20 * GatewayFixture.price)]
        let fixture = withBigRoute
        var sentinel = SentinelConfiguration()
        sentinel.policy = try SentinelPolicyReader.policy(json: Data(#"""
            {"rules": [{"id": "spike", "message": "payment far above this key's usual amount",
                        "when": [{"amountVsAverage": {"above": "10", "minimumHistory": 5}}],
                        "action": "block", "severity": "medium"}]}
            """#.utf8))
        let clock = ManualWallClock(SystemWallClock().now)
        try await withGateway(fixture: fixture, clock: clock, sentinel: sentinel) { gateway in
            let grant = Self.grant(fixture, clock)
            let client = try fixture.client(grant, windows: false)
            for call in 1...5 {
                let response = try await client.send(method: "POST", url: gateway.url(Self.chat), body: Array("hi \(call)".utf8))
                #expect(response.status == 200, "\(response.bodyText)")
            }
            let spike = try await client.send(method: "POST", url: gateway.url("/v1/big"), body: Array("all of it".utf8))
            #expect(spike.status == 403)
            let body = try JSONValue.parse(spike.bodyText)
            #expect(body["error"]?.stringValue == "pb_risk_blocked")
            #expect(body["message"]?.stringValue?.contains("payment far above this key's usual amount") == true)
            #expect(try await gateway.store.grant(grant.digest)?.spent == 5 * GatewayFixture.price)
            // A block refuses one payment; the key pays on.
            let after = try await client.send(method: "POST", url: gateway.url(Self.chat), body: Array("small".utf8))
            #expect(after.status == 200, "\(after.bodyText)")
            #expect(try await gateway.store.grant(grant.digest)?.status == .active)
            #expect(try await gateway.store.grant(grant.digest)?.spent == 6 * GatewayFixture.price)
        }
    }

    @Test func theOwnerUnfreezesWithASignedRequestAndPaymentsResume() async throws {
        let fixture = GatewayFixture()
        let clock = ManualWallClock(SystemWallClock().now)
        try await withGateway(fixture: fixture, clock: clock) { gateway in
            let grant = Self.grant(fixture, clock)
            let client = try fixture.client(grant)
            #expect(try await Self.burst(client, gateway, calls: 105) == 101)
            clock.advance(bySeconds: 61)
            let now = UInt64(clock.now.seconds)
            let change = GrantStatusChange(grantId: grant.digest, status: "active", issuedAt: now)
            let signature = SignedMessage.sign(change, domain: fixture.domain, with: fixture.owner).signatureBytes
            let unfrozen = try await gateway.send(
                .POST, "/v1/grants/\(grant.digest.hex)/status",
                body: #"{"status":"active","issuedAt":"\#(now)","signature":"\#(Hex.encode(signature))"}"#)
            #expect(unfrozen.status == 200, "\(unfrozen.body)")
            // Both the stored status and the engine's breaker are lifted: the next payment is charged.
            #expect(gateway.application.riskGate.engine.breaker(for: .key(grant.digest)) == nil)
            let resumed = try await client.send(method: "POST", url: gateway.url(Self.chat), body: Array("back".utf8))
            #expect(resumed.status == 200, "\(resumed.bodyText)")
            #expect(try await gateway.store.grant(grant.digest)?.spent == 101 * GatewayFixture.price)
            let events = try await Self.events(gateway, key: grant.digest, atLeast: 3)
            #expect(events.first?["kind"]?.stringValue == "unfrozen")
        }
    }

    @Test func theRulesAPIValidatesNamesTheFieldAndTakesEffectAtOnce() async throws {
        let fixture = GatewayFixture()
        let clock = ManualWallClock(SystemWallClock().now)
        try await withGateway(fixture: fixture, clock: clock) { gateway in
            let current = try JSONValue.parse(try await gateway.admin(.GET, "/v1/sentinel/rules").body)
            #expect(current["enabled"] == .bool(true))
            let ids = current["rules"]?.arrayValues?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(Array(ids.prefix(3)) == ["amount-spike", "call-burst", "low-balance"])

            let cases: [(body: String, field: String)] = [
                (#"{"rules":[{"id":"r","when":[{"calls":{"window":"90s","above":3}}],"action":"freeze","severity":"high"}]}"#,
                 "rules[0].when[0].calls.window"),
                (#"{"rules":[{"id":"r","when":[],"severity":"high"}]}"#, "rules[0].action"),
                (#"{"rules":[{"id":"r","when":[],"action":"explode","severity":"high"}]}"#, "rules[0].action"),
                (#"{"rules":[{"id":"Bad Id","when":[],"action":"block","severity":"high"}]}"#, "rules[0].id"),
                (#"{"enabled":"yes"}"#, "enabled"),
            ]
            for (body, field) in cases {
                let refused = try await gateway.admin(.PUT, "/v1/sentinel/rules", body: body)
                #expect(refused.status == 400, "\(body)")
                let error = try JSONValue.parse(refused.body)
                #expect(error["field"]?.stringValue == field, "\(refused.body)")
                #expect(error["message"]?.stringValue?.hasPrefix(field) == true, "\(refused.body)")
            }
            #expect(try await gateway.send(.PUT, "/v1/sentinel/rules", body: "{}").status == 401)

            // A stricter rule, in force for the very next payment.
            let strict = #"{"rules":[{"id":"three-a-minute","message":"at most 3 calls a minute","when":[{"calls":{"window":"1m","above":3}}],"action":"freeze","severity":"critical"}]}"#
            let accepted = try await gateway.admin(.PUT, "/v1/sentinel/rules", body: strict)
            #expect(accepted.status == 200, "\(accepted.body)")
            #expect(try JSONValue.parse(accepted.body)["rules"]?.arrayValues?.count == 1)
            #expect(try await gateway.store.sentinelPolicy()?.rules?.first?.id == "three-a-minute")
            let grant = Self.grant(fixture, clock)
            let client = try fixture.client(grant)
            #expect(try await Self.burst(client, gateway, calls: 6) == 4)

            // Switched off: the burst rule no longer stops anyone.
            #expect(try await gateway.admin(.PUT, "/v1/sentinel/rules", body: #"{"enabled":false,"rules":[]}"#).status == 200)
            #expect(!gateway.application.riskGate.isEnabled)
        }
    }

    @Test func aRestartRemembersTheStatisticsAndTheFreeze() async throws {
        let fixture = GatewayFixture()
        let clock = ManualWallClock(SystemWallClock().now)
        let directory = NSTemporaryDirectory() + "pb-sentinel-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let grant = Self.grant(fixture, clock)
        let saved = SnapshotHolder()
        try await withGateway(fixture: fixture, store: try SQLiteGatewayStore(dataDirectory: directory), clock: clock) { gateway in
            let client = try fixture.client(grant)
            #expect(try await Self.burst(client, gateway, calls: 102) == 101)
            saved.value = gateway.application.riskGate.engine.snapshot()
        }
        // A new gateway process on the same data: the engine starts from the saved snapshot.
        try await withGateway(fixture: fixture, store: try SQLiteGatewayStore(dataDirectory: directory), clock: clock) { gateway in
            let engine = gateway.application.riskGate.engine
            #expect(engine.snapshot() == saved.value)
            #expect(engine.snapshot().keyCount == 1)
            #expect(engine.breaker(for: .key(grant.digest)) != nil)
            let client = try fixture.client(grant)
            let refused = try await client.send(method: "POST", url: gateway.url(Self.chat), body: Array("x".utf8))
            #expect(refused.status == 403)
            #expect(try JSONValue.parse(refused.bodyText)["error"]?.stringValue == "pb_key_frozen")
            #expect(try await gateway.store.grant(grant.digest)?.spent == 100 * GatewayFixture.price)
        }
    }

    /// A grant valid from a minute before the gateway's (manual) clock: the clock stands still while a loaded
    /// machine takes its time, and a grant dated by the system clock could start after it.
    static func grant(_ fixture: GatewayFixture, _ clock: ManualWallClock) -> SignedSessionGrant {
        fixture.grant(validAfter: UInt64(clock.now.seconds) - 60)
    }

    /// Sends up to `calls` paid chats; returns the number of the first one refused (nil if none was).
    static func burst(_ client: PBClient, _ gateway: RunningGateway, calls: Int) async throws -> Int? {
        var firstRefused: Int?
        for call in 1...calls {
            let response = try await client.send(method: "POST", url: gateway.url(chat), body: Array("call \(call)".utf8))
            if response.status != 200, firstRefused == nil {
                #expect(response.status == 403)
                #expect(try JSONValue.parse(response.bodyText)["error"]?.stringValue == "pb_key_frozen")
                firstRefused = call
            }
        }
        return firstRefused
    }

    /// The key's events through the API, newest first, once the service has stored at least `count` of them.
    static func events(_ gateway: RunningGateway, key: Bytes32, atLeast count: Int) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        for _ in 0..<200 {
            let response = try await gateway.admin(.GET, "/v1/sentinel/events?key=\(key.hex)&limit=100")
            #expect(response.status == 200)
            events = try JSONValue.parse(response.body)["data"]?.arrayValues ?? []
            if events.count >= count { return events }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("only \(events.count) events were stored")
        return events
    }
}

final class SnapshotHolder: Sendable {
    private let stored = Mutex<RiskEngineSnapshot?>(nil)
    var value: RiskEngineSnapshot? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
