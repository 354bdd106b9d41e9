import Foundation
import PBCore
import PBGateway
import PBProtocol
import PBStore
import Testing

/// The merchant's rate oracle through the API: `POST/GET/DELETE /v1/services/chat/rates`, applied to 402 quotes,
/// with earlier quotes honoured until they expire. `/v1/chat` costs 0.01 (10,000 base units) per call.
@Suite struct RateOracleTests {
    static let rates = "/v1/services/chat/rates"

    func amount(_ gateway: RunningGateway, _ path: String = "/v1/chat") async throws -> String {
        let response = try await gateway.send(.POST, path, body: "{}")
        let required = try PaymentHeaderCodec.decode(
            try #require(response.headers.first(name: "PAYMENT-REQUIRED")), as: PaymentRequired.self)
        return try #require(required.accepts.first).amount
    }

    @Test func pushedMultiplierDoublesNewQuotes() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            #expect(try await amount(gateway) == "10000")
            let pushed = try await gateway.admin(
                .POST, Self.rates, body: #"{"id": "surge", "multiplier": "2"}"#, headers: [("Idempotency-Key", "push-1")])
            #expect(pushed.status == 201, "\(pushed.body)")
            #expect(try JSONValue.parse(pushed.body)["active"] == .bool(true))
            #expect(try await amount(gateway) == "20000")
            // The quote names the rule: the override, and the line's doubled multiplier.
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let extra = try SessionRequirementsExtra(extra: try await caller.offer("/v1/chat").extra)
            #expect(extra.unitPrice == "0.02")
            #expect(extra.priceRule["overrides"]?.arrayValues?.first?["id"]?.stringValue == "surge")
            #expect(extra.priceRule["lines"]?.arrayValues?.first?["multiplier"]?.stringValue == "2")
            // Token routes double too: a hold of 32,000.
            #expect(try await amount(gateway, AuthorizeCaptureTests.path) == "32000")
            // A retried push with its key is replayed; the list shows the rate; deleting restores the price.
            let replayed = try await gateway.admin(
                .POST, Self.rates, body: #"{"id": "surge", "multiplier": "2"}"#, headers: [("Idempotency-Key", "push-1")])
            #expect(replayed.headers.first(name: "Idempotent-Replayed") == "true")
            let list = try JSONValue.parse(try await gateway.admin(.GET, Self.rates).body)
            #expect(list["data"]?.arrayValues?.map { $0["id"]?.stringValue } == ["surge"])
            #expect(try await gateway.admin(.DELETE, Self.rates + "/surge").status == 204)
            #expect(try await amount(gateway) == "10000")
            #expect(try await gateway.admin(.DELETE, Self.rates + "/surge").status == 404)
        }
    }

    @Test func earlierQuoteIsHonouredUntilItExpires() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture, clock: ManualWallClock(SystemWallClock().now)) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let early = try await caller.offer("/v1/chat")
            let earlyHold = try await caller.offer(AuthorizeCaptureTests.path)
            #expect(try await gateway.admin(.POST, Self.rates, body: #"{"id": "surge", "multiplier": "2"}"#).status == 201)
            #expect(try await amount(gateway) == "20000")
            // 59 s later the earlier quote still holds: charged 10,000, not 20,000.
            gateway.manualClock.advance(bySeconds: 59)
            let honoured = try await caller.pay(early, path: "/v1/chat")
            #expect(honoured.status == 200, "\(honoured.body)")
            #expect(honoured.receipt?.amount == 10_000)
            // A held quote is captured on its own terms: 1,234 x 2 + 567 x 8 = 7,004, not twice that.
            let held = try await caller.pay(
                earlyHold, path: AuthorizeCaptureTests.path, headers: [("X-Test-Usage", "input_tokens=1234;output_tokens=567")])
            #expect(held.status == 200, "\(held.body)")
            #expect(held.receipt?.amount == 7_004)
            #expect(try await caller.spent() == 17_004)
            // At the quote's expiry it is refused and nothing is charged.
            gateway.manualClock.advance(bySeconds: 1)
            let expired = try await caller.pay(early, path: "/v1/chat")
            #expect(expired.status == 402)
            #expect(try JSONValue.parse(expired.body)["error"]?.stringValue == "pb_quote_expired")
            #expect(try await caller.spent() == 17_004)
        }
    }

    @Test func rateOutsideItsValidityWindowDoesNotApply() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture, clock: ManualWallClock(SystemWallClock().now)) { gateway in
            let now = gateway.clock.now.seconds
            let future = #"{"id": "later", "multiplier": "3", "notBefore": "\#(now + 3600)"}"#
            let past = #"{"id": "gone", "price": "0.5", "notBefore": "\#(now - 7200)", "notAfter": "\#(now - 3600)"}"#
            #expect(try await gateway.admin(.POST, Self.rates, body: future).status == 201)
            #expect(try await gateway.admin(.POST, Self.rates, body: past).status == 201)
            #expect(try await amount(gateway) == "10000")
            let list = try JSONValue.parse(try await gateway.admin(.GET, Self.rates).body)
            #expect(list["data"]?.arrayValues?.map { $0["active"] } == [.bool(false), .bool(false)])
            gateway.manualClock.advance(bySeconds: 3600)
            #expect(try await amount(gateway) == "30000")
        }
    }

    @Test func aQuoteExpiresWhenAPushedRateStarts() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture, clock: ManualWallClock(UnixTime(seconds: 1_767_225_600))) { gateway in
            let body = #"{"id": "soon", "multiplier": "2", "notBefore": "1767225630"}"#
            #expect(try await gateway.admin(.POST, Self.rates, body: body).status == 201)
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant(validAfter: 1_767_000_000))
            let extra = try SessionRequirementsExtra(extra: try await caller.offer("/v1/chat").extra)
            // Not the 60 s TTL: the price changes in 30 s, so the quote ends then.
            #expect(extra.quoteExpiresAt == 1_767_225_630)
        }
    }

    @Test func unauthenticatedPushIsRefused() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            let anonymous = try await gateway.send(.POST, Self.rates, body: #"{"id": "surge", "multiplier": "2"}"#)
            #expect(anonymous.status == 401)
            let wrongKey = try await gateway.send(
                .POST, Self.rates, headers: [("Authorization", "Bearer pbk_nope")], body: #"{"id": "x", "multiplier": "2"}"#)
            #expect(wrongKey.status == 401)
            #expect(try await gateway.send(.GET, Self.rates).status == 401)
            #expect(try await amount(gateway) == "10000")
        }
    }

    /// Each bad body is refused with 400 naming its field, and nothing is stored (one gateway for all cases).
    static let badBodies: [(body: String, field: String)] = [
        (#"{"multiplier": "2"}"#, "id"),
        (#"{"id": "a", "multiplier": "abc"}"#, "multiplier"),
        (#"{"id": "a", "multiplier": "0"}"#, "multiplier"),
        (#"{"id": "a", "multiplier": 2}"#, "multiplier"),
        (#"{"id": "a", "multiplier": "2", "price": "0.01"}"#, "multiplier"),
        (#"{"id": "a"}"#, "multiplier"),
        (#"{"id": "a", "price": "-1"}"#, "price"),
        (#"{"id": "a", "multiplier": "2", "unit": "token"}"#, "unit"),
        (#"{"id": "a", "multiplier": "2", "route": "POST /v1/nope"}"#, "route"),
        (#"{"id": "a", "multiplier": "2", "notBefore": "soon"}"#, "notBefore"),
        (#"{"id": "a", "multiplier": "2", "notBefore": "20", "notAfter": "10"}"#, "notAfter"),
        (#"{"id": "a", "multiplier": "2", "service": "other"}"#, "service"),
        (#"{"id": "a", "multiplier": "2", "mutliplier": "3"}"#, "mutliplier"),
    ]

    @Test func badRateBodyNamesTheField() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            for (body, field) in Self.badBodies {
                let response = try await gateway.admin(.POST, Self.rates, body: body)
                #expect(response.status == 400, "\(body): \(response.body)")
                #expect(try JSONValue.parse(response.body)["field"]?.stringValue == field, "\(body): \(response.body)")
            }
            #expect(try await gateway.store.rates(serviceId: nil).isEmpty)
        }
    }

    @Test func routeScopedRateAppliesToItsRouteOnly() async throws {
        let fixture = PricingRoutes.fixture()
        let body = #"{"id": "chat-promo", "route": "POST /v1/chat", "price": "0.005"}"#
        try await withGateway(fixture: fixture) { gateway in
            let pushed = try await gateway.admin(.POST, Self.rates, body: body)
            #expect(pushed.status == 201)
            #expect(try await amount(gateway) == "5000")
            #expect(try await amount(gateway, AuthorizeCaptureTests.path) == "16000")
            #expect(try await gateway.admin(.POST, "/v1/services/nope/rates", body: body).status == 404)
        }
    }
}
