import Foundation
import PBCore
import PBPricing
import PBProtocol
import PBStore
import Testing

@testable import PBGateway

/// Route plans: per-dimension prices, peak windows on the gateway's clock, and the `pricing:` block in pb.yaml and
/// on the services API with errors that name the field.
@Suite struct RoutePlanTests {
    func amount(_ gateway: RunningGateway, _ path: String, headers: [(String, String)] = []) async throws -> String {
        let caller = PricedCaller(fixture: GatewayFixture(), gateway: gateway, grant: GatewayFixture().grant())
        return try await caller.offer(path, headers: headers).amount
    }

    @Test func perDimensionPricesFromThePathAndAHeader() async throws {
        let fixture = PricingRoutes.fixture()
        try await withGateway(fixture: fixture) { gateway in
            #expect(try await amount(gateway, "/v1/usage/models/small/chat") == "1000")
            #expect(try await amount(gateway, "/v1/usage/models/large/chat") == "4000")
            let unknown = try await gateway.send(.POST, "/v1/usage/models/huge/chat", body: "{}")
            #expect(unknown.status == 400)
            #expect(try JSONValue.parse(unknown.body)["message"]?.stringValue?.contains("model from path segment 1") == true)
            #expect(try await amount(gateway, "/v1/usage/ask", headers: [("X-Model", "large")]) == "4000")
            #expect(try await amount(gateway, "/v1/usage/ask", headers: [("X-Model", "small")]) == "2000")
            #expect(try await amount(gateway, "/v1/usage/ask") == "2000")

            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant())
            let large = try await caller.call("/v1/usage/ask", headers: [("X-Model", "large")])
            #expect(large.receipt?.amount == 4_000)
            // A quote made for the fallback price cannot pay for a large call.
            let cheap = try await caller.offer("/v1/usage/ask")
            let swapped = try await caller.pay(cheap, path: "/v1/usage/ask", headers: [("X-Model", "large")])
            #expect(swapped.status == 402)
            #expect(try JSONValue.parse(swapped.body)["error"]?.stringValue == "pb_requirements_mismatch")
            #expect(try await caller.spent() == 4_000)
        }
    }

    /// 0.001 per GPU second, twice that from 18:00 to 22:00 UTC; a call holds 60 seconds. Monday 2 June 2025.
    @Test func peakWindowPricesByTheGatewaysClock() async throws {
        let fixture = PricingRoutes.fixture()
        let clock = ManualWallClock(UnixTime(seconds: 1_748_883_600))  // 17:00 UTC
        try await withGateway(fixture: fixture, clock: clock) { gateway in
            let caller = PricedCaller(fixture: fixture, gateway: gateway, grant: fixture.grant(validAfter: 1_748_800_000))
            // Outside the window: 60 s x 0.001 = 0.06 held; 30 s used = 0.03; 1,500 ms = 0.0015.
            #expect(try await caller.offer("/v1/usage/gpu").amount == "60000")
            #expect(try await caller.call("/v1/usage/gpu", headers: [("X-Test-Usage", "seconds=30")]).receipt?.amount == 30_000)
            #expect(try await caller.call("/v1/usage/gpu", headers: [("X-Test-Usage", "seconds=1500ms")]).receipt?.amount == 1_500)
            // Across the window's start at 18:00: the quote ends there, and the hold prices each part at its rate:
            // 30 s x 0.001 + 30 s x 0.002 = 0.09; 45 s used from 17:59:30 = 0.03 + 15 s x 0.002 = 0.06.
            clock.set(UnixTime(seconds: 1_748_887_170))
            let crossing = try await caller.offer("/v1/usage/gpu")
            #expect(crossing.amount == "90000")
            #expect(try SessionRequirementsExtra(extra: crossing.extra).quoteExpiresAt == 1_748_887_200)
            let split = try await caller.pay(crossing, path: "/v1/usage/gpu", headers: [("X-Test-Usage", "seconds=45")])
            #expect(split.receipt?.amount == 60_000)
            // Inside the window (19:00): 60 s x 0.002 = 0.12 held, 30 s = 0.06 captured.
            clock.set(UnixTime(seconds: 1_748_890_800))
            let inside = try await caller.offer("/v1/usage/gpu")
            #expect(inside.amount == "120000")
            #expect(try SessionRequirementsExtra(extra: inside.extra).priceRule["lines"]?.arrayValues?.first?["peakWindow"]
                == .string("evening"))
            #expect(try await caller.pay(inside, path: "/v1/usage/gpu", headers: [("X-Test-Usage", "seconds=30")]).receipt?.amount
                == 60_000)
            #expect(try await caller.spent() == 30_000 + 1_500 + 60_000 + 60_000)
        }
    }

    static let tokenRoute = """
        services:
          - id: llm
            payee: "0x1111111111111111111111111111111111111111"
            asset: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
            pathPrefix: /llm
            routes:
              - method: POST
                path: /chat
                pricing:
                  prices:
                    - {unit: input_token, rate: "0.000002"}
                    - {unit: output_token, rate: "0.000008"}
                  hold: {input_tokens: 4000, output_tokens: 1000}
        """

    @Test func pricingBlockInTheConfigurationFile() throws {
        let configuration = try GatewayConfiguration(yaml: Self.tokenRoute)
        let route = try #require(configuration.services.first?.routes.first)
        #expect(route.priceBaseUnits == nil)
        #expect(route.pricing?.hold == ["input_tokens": 4_000, "output_tokens": 1_000])
        #expect(route.pricing?.plan.prices == [
            UnitPriceConfig(unit: "input_token", rate: "0.000002"), UnitPriceConfig(unit: "output_token", rate: "0.000008"),
        ])
    }

    @Test(arguments: [
        (#"rate: "0.000002"}"#, #"rate: "0.0000020000000000001"}"#, "services[0].routes[0].pricing.prices[0].rate"),
        ("prices:", "prics:", "services[0].routes[0].pricing.prics"),
        ("hold: {input_tokens: 4000, output_tokens: 1000}", "hold: {input_tokens: 4000}", "services[0].routes[0].pricing.hold"),
        ("hold: {input_tokens: 4000,", "hold: {seconds: 4, input_tokens: 4000,", "services[0].routes[0].pricing.hold.seconds"),
        ("hold: {input_tokens: 4000,", "hold: {input_tokens: 4k,", "services[0].routes[0].pricing.hold.input_tokens"),
        ("      hold:", "      holdSeconds: 0\n          hold:", "services[0].routes[0].pricing.holdSeconds"),
        ("      hold:", "      decimals: 18\n          hold:", "services[0].routes[0].pricing.decimals"),
        ("      hold:", "      dimensions: {model: {header: X-Model}}\n          hold:", "services[0].routes[0].pricing.dimensions.model"),
        ("path: /chat", "path: /chat\n        price: \"0.01\"", "services[0].routes[0]"),
        ("- {unit: input_token,", "- {unit: input_tokn,", "services[0].routes[0].pricing.prices[0].unit"),
    ])
    func invalidPricingNamesTheField(original: String, replacement: String, field: String) throws {
        let yaml = Self.tokenRoute.replacingOccurrences(of: original, with: replacement)
        #expect(yaml != Self.tokenRoute)
        do {
            _ = try GatewayConfiguration(yaml: yaml)
            Issue.record("accepted: \(replacement)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func servicesAPIReadsAndShowsPricing() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let route = """
                {"method": "POST", "path": "/chat", "pricing": {"prices": [{"unit": "input_token", "rate": "0.000002"},
                 {"unit": "output_token", "rate": "0.000008"}], "hold": {"input_tokens": 4000, "output_tokens": 1000}}}
                """
            let service = """
                {"id": "llm", "payee": "\(fixture.payee.checksummed)", "asset": "\(GatewayFixture.usdc.checksummed)",
                 "pathPrefix": "/llm", "upstream": "http://127.0.0.1:9", "routes": [\(route)]}
                """
            let created = try await gateway.admin(.POST, "/v1/services", body: service)
            #expect(created.status == 201, "\(created.body)")
            let shown = try JSONValue.parse(try await gateway.admin(.GET, "/v1/services/llm").body)
            let pricing = try #require(shown["routes"]?.arrayValues?.first?["pricing"])
            #expect(pricing["hold"]?["output_tokens"] == .number("1000"))
            #expect(pricing["prices"]?.arrayValues?.first?["rate"]?.stringValue == "0.000002")
            #expect(try await amount(gateway, "/llm/chat") == "16000")
            // What GET shows, PUT takes back unchanged.
            #expect(try await gateway.admin(.PUT, "/v1/services/llm", body: shown.serialized()).status == 200)
            let bad = service.replacingOccurrences(of: #""rate": "0.000008""#, with: #""rate": 0.000008"#)
            let refused = try await gateway.admin(.PUT, "/v1/services/llm", body: bad)
            #expect(refused.status == 400)
            #expect(try JSONValue.parse(refused.body)["field"]?.stringValue == "routes[0].pricing.prices[1].rate")
        }
    }
}
