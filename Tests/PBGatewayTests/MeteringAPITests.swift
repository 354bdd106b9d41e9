import Foundation
import PBCore
import PBGateway
import PBMetering
import PBStore
import Testing

/// Stream sessions over the management API with a manual clock: the GPU and rental figures of docs/METERING.md,
/// the webhook with its signature, idempotent usage batches and named bad items.
@Suite struct MeteringAPITests {
    static let start = UnixTime(seconds: 1_764_000_000)
    static let gpuPlan = #"{"prices": [{"unit": "second", "rate": "0.001"}]}"#
    static let secret = "whsec_test_0123456789abcdef"

    func ms(_ seconds: Int64) -> String { String(Self.start.adding(seconds: seconds).milliseconds) }

    @Test func gpuSessionStopsAtTheExactSecondAndTheWebhookHearsIt() async throws {
        let clock = ManualWallClock(Self.start)
        let receiver = WebhookReceiver(failuresFirst: 1)
        try await receiver.listen { hookURL in
            try await withGateway(fixture: GatewayFixture(), clock: clock) { gateway in
                let service = gateway.meteringService(webhook: WebhookEndpoint(url: hookURL, secret: Self.secret), clock: clock)
                #expect(try await gateway.merchant(.POST, "/v1/accounts", #"{"id": "agent"}"#).status == 201)
                let topUp = try await gateway.merchant(.POST, "/v1/accounts/agent/top-ups", #"{"amount": "100"}"#, idempotencyKey: "topup-1")
                #expect(topUp.status == 201)
                #expect(topUp.json.at("account", "balance")?.text == "100")
                let replay = try await gateway.merchant(.POST, "/v1/accounts/agent/top-ups", #"{"amount": "100"}"#, idempotencyKey: "topup-1")
                #expect(replay.json.at("account", "balance")?.text == "100", "the same Idempotency-Key credits once")

                let started = try await gateway.merchant(.POST, "/v1/meter-sessions", """
                    {"id": "gpu", "accountId": "agent", "service": "chat", "plan": \(Self.gpuPlan),
                     "metering": {"unit": "second", "intervalSeconds": 60}}
                    """)
                #expect(started.status == 201, "\(started.json)")
                #expect(started.json["predictedDepletionAt"]?.text == ms(100_000))

                clock.set(Self.start.adding(seconds: 89_999))
                await service.tick()
                #expect(try await gateway.merchant(.GET, "/v1/accounts/agent").json["balance"]?.text == "10.001")
                clock.set(Self.start.adding(seconds: 90_030))
                await service.tick()
                clock.set(Self.start.adding(seconds: 150_000))
                await service.tick()
                let stopped = try await gateway.merchant(.GET, "/v1/meter-sessions/gpu").json
                #expect(stopped["status"]?.text == "stopped: insufficient_funds")
                #expect(stopped["stoppedAt"]?.text == ms(100_000))
                #expect(stopped["charged"]?.text == "100")
                #expect(stopped.at("statement", "balance")?.text == "0")

                let events = try await gateway.merchant(.GET, "/v1/meter-sessions/gpu/events").json["data"]?.arrayValues ?? []
                #expect(events.map { $0["type"]?.text } == ["session.stopped", "account.low_balance"])
                #expect(events.last?["at"]?.text == ms(90_000))
                #expect(events.last?["balance"]?.text == "10")
                #expect(events.first?["reason"]?.text == "insufficient_funds")

                let resumed = try await gateway.merchant(.POST, "/v1/accounts/agent/top-ups", #"{"amount": "50"}"#, idempotencyKey: "topup-2")
                #expect(resumed.json["resumedSessions"]?.arrayValues?.first?.text == "gpu")
                clock.set(Self.start.adding(seconds: 151_000))
                await service.tick()
                let stop = try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/stop", "{}")
                #expect(stop.json["status"]?.text == "stopped: completed")
                #expect(stop.json["charged"]?.text == "101", "100 U, then 1,000 s after the resume")
                #expect(stop.json.at("statement", "topUps")?.arrayValues?.count == 2)
                #expect(stop.json.at("statement", "remainder")?.text == "0")
                #expect(try await gateway.merchant(.GET, "/v1/accounts/agent").json["balance"]?.text == "49")

                // The first delivery attempt met a 500; every event is delivered once the retries are due.
                clock.set(Self.start.adding(seconds: 152_000))
                await service.tick()
                let delivered = receiver.received
                #expect(delivered.allSatisfy { WebhookReceiver.isValid($0, secret: Self.secret) })
                #expect(!delivered.contains { WebhookReceiver.isValid($0, secret: "another secret") })
                let types = try delivered.map { try JSONValue.parse($0.body)["type"]?.text ?? "" }
                #expect(Set(types) == ["account.low_balance", "session.stopped", "session.resumed"])
                #expect(types.count == 4, "low balance, stopped for funds, resumed, stopped for good: each once")
            }
        }
    }

    @Test func rentalFiguresThroughTheAPI() async throws {
        let plan = """
            {"timeZone": "Europe/Berlin", "prices": [{"unit": "hour", "rate": "0.5"}],
             "peakWindows": [{"name": "evening", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "18:00",
                              "to": "23:00", "multiplier": "1.5"}]}
            """
        let clock = ManualWallClock(MeteringExamples.rentalDay)
        try await withGateway(fixture: GatewayFixture(), clock: clock) { gateway in
            let service = gateway.meteringService(clock: clock)
            _ = try await gateway.merchant(.POST, "/v1/accounts", #"{"id": "renter"}"#)
            _ = try await gateway.merchant(.POST, "/v1/accounts/renter/top-ups", #"{"amount": "10"}"#, idempotencyKey: "r-1")
            let rentals = [("inside", MeteringExamples.rentalInsidePeak, "2.625", ["2.625"]),
                           ("across", MeteringExamples.rentalAcrossPeakStart, "2.375", ["0.5", "1.875"])]
            for (name, times, total, lines) in rentals {
                clock.set(times.start)
                let started = try await gateway.merchant(.POST, "/v1/meter-sessions", """
                    {"id": "\(name)", "accountId": "renter", "service": "chat", "plan": \(plan),
                     "metering": {"unit": "hour", "intervalSeconds": 900}}
                    """)
                #expect(started.status == 201, "\(started.json)")
                var tick = times.start
                while tick < times.end {
                    tick = min(tick.adding(seconds: 900), times.end)
                    clock.set(tick)
                    await service.tick()
                }
                let stopped = try await gateway.merchant(.POST, "/v1/meter-sessions/\(name)/stop", "{}").json
                #expect(stopped["charged"]?.text == total)
                #expect(stopped.at("statement", "lines")?.arrayValues?.map { $0["amount"]?.text } == lines)
            }
            #expect(try await gateway.merchant(.GET, "/v1/accounts/renter").json["balance"]?.text == "5")
        }
    }

    @Test func usageBatchesAreIdempotentAndBadItemsAreNamed() async throws {
        let plan = #"{"prices": [{"unit": "input_token", "rate": "0.000002"}, {"unit": "output_token", "rate": "0.000008"}]}"#
        let clock = ManualWallClock(Self.start)
        try await withGateway(fixture: GatewayFixture(), clock: clock) { gateway in
            _ = try await gateway.merchant(.POST, "/v1/accounts", #"{"id": "bot"}"#)
            _ = try await gateway.merchant(.POST, "/v1/accounts/bot/top-ups", #"{"amount": "1"}"#, idempotencyKey: "b-1")
            let started = try await gateway.merchant(.POST, "/v1/meter-sessions", """
                {"id": "chat-1", "accountId": "bot", "service": "chat", "plan": \(plan)}
                """)
            #expect(started.status == 201, "\(started.json)")
            let batch = """
                {"events": [{"id": "e1", "quantities": {"input_token": 1200, "output_token": 350}},
                            {"id": "e2", "quantities": {"input_token": 10, "output_token": 10}}]}
                """
            let first = try await gateway.merchant(.POST, "/v1/meter-sessions/chat-1/usage", batch)
            #expect(first.json["recordedCount"]?.text == "2")
            #expect(first.json["debited"]?.text == "0.0053")
            let again = try await gateway.merchant(.POST, "/v1/meter-sessions/chat-1/usage", batch)
            #expect(again.json["duplicateCount"]?.text == "2")
            #expect(again.json["debited"]?.text == "0")

            let bad: [(String, String)] = [
                (#"{"events": [{"id": "ok", "quantities": {"input_token": 1}}, {"id": "x", "quantities": {"input_tokn": 5}}]}"#, "events[1].quantities.input_tokn"),
                (#"{"events": [{"id": "ok", "quantities": {"input_token": 1}}, {"id": "ok", "quantities": {"input_token": 1}}]}"#, "events[1].id"),
                (#"{"events": [{"id": "ok", "quantities": {"input_token": -1}}]}"#, "events[0].quantities.input_token"),
                (#"{"events": [{"id": "ok", "quantities": {"hour": 1}}]}"#, "events[0].quantities.hour"),
            ]
            for (body, field) in bad {
                let refused = try await gateway.merchant(.POST, "/v1/meter-sessions/chat-1/usage", body)
                #expect(refused.status == 400, "\(field)")
                #expect(refused.json["message"]?.text?.hasPrefix(field) == true, "\(refused.json)")
            }
            let usage = try await gateway.merchant(.GET, "/v1/meter-sessions/chat-1/usage").json["data"]?.arrayValues
            #expect(usage?.map { $0["id"]?.text } == ["e2", "e1"], "nothing of a refused batch is recorded")
            #expect(try await gateway.merchant(.GET, "/v1/accounts/bot").json["balance"]?.text == "0.9947")
        }
    }

    @Test func pauseStopsAccrual() async throws {
        let clock = ManualWallClock(Self.start)
        try await withGateway(fixture: GatewayFixture(), clock: clock) { gateway in
            let service = gateway.meteringService(clock: clock)
            _ = try await gateway.merchant(.POST, "/v1/accounts", #"{"id": "agent"}"#)
            _ = try await gateway.merchant(.POST, "/v1/accounts/agent/top-ups", #"{"amount": "10"}"#, idempotencyKey: "p-1")
            _ = try await gateway.merchant(.POST, "/v1/meter-sessions", """
                {"id": "gpu", "accountId": "agent", "service": "chat", "plan": \(Self.gpuPlan), "metering": {"unit": "second"}}
                """)
            clock.set(Self.start.adding(seconds: 100))
            #expect(try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/pause", "{}").json["state"]?.text == "paused")
            clock.set(Self.start.adding(seconds: 5_000))
            await service.tick()
            #expect(try await gateway.merchant(.GET, "/v1/meter-sessions/gpu").json["charged"]?.text == "0.1")
            #expect(try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/resume", "{}").json["state"]?.text == "active")
            clock.set(Self.start.adding(seconds: 5_100))
            let stopped = try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/stop", #"{"reason": "cancelled"}"#).json
            #expect(stopped["charged"]?.text == "0.2")
            #expect(stopped["status"]?.text == "stopped: cancelled")
            let again = try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/resume", "{}")
            #expect(again.status == 409, "cancelled is final")
        }
    }

    @Test func webhookComesFromTheEnvironmentOnly() throws {
        let keys = GatewayApplication.webhookEnvironmentKeys
        #expect(try GatewayApplication.webhookEndpoint(environment: [:]) == nil)
        let endpoint = try GatewayApplication.webhookEndpoint(
            environment: [keys.url: "https://merchant.example/hooks", keys.secret: Self.secret])
        #expect(endpoint?.url == "https://merchant.example/hooks")
        #expect(endpoint?.secret == Array(Self.secret.utf8))
        let refused: [[String: String]] = [
            [keys.url: "https://merchant.example/hooks"],
            [keys.secret: Self.secret],
            [keys.url: "ftp://merchant.example", keys.secret: Self.secret],
            [keys.url: "https://merchant.example/hooks", keys.secret: "short"],
        ]
        for environment in refused {
            #expect(throws: GatewayConfigurationError.self) { try GatewayApplication.webhookEndpoint(environment: environment) }
        }
    }

    @Test func meteringServiceEndsWhenCancelled() async throws {
        let clock = ManualWallClock(Self.start)
        try await withGateway(fixture: GatewayFixture(), clock: clock) { gateway in
            let service = gateway.meteringService(clock: clock)
            let running = Task { try await service.run() }
            running.cancel()
            try await running.value
        }
    }
}
