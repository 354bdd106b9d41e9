import Foundation
import PBCore
import Testing

/// `pb meter` against a live gateway (`pb demo chatbot`, which serves the `chat` service on a port the OS picks):
/// a prepaid per-token session runs out, stops with `insufficient_funds`, resumes after a top-up, and its statement
/// has the exact amounts. Usage is reported, so nothing depends on the wall clock.
@Suite struct MeterCommandTests {
    /// 0.000002 U per input token, 0.000008 U per output token.
    static let chatPlan: JSONValue = .object([
        ("asset", .string("USDC")), ("decimals", .number("6")),
        ("prices", .array([
            .object([("unit", .string("input_token")), ("rate", .string("0.000002"))]),
            .object([("unit", .string("output_token")), ("rate", .string("0.000008"))]),
        ])),
    ])

    @Test func aPrepaidSessionRunsOutStopsAndResumesAfterATopUpWithExactAmounts() async throws {
        try await Self.withGateway { runner, gateway, meter in

            let created = try meter.run("account", "create", "--id", "agent")
            #expect(created.status == 0, "\(created.errorOutput)")
            #expect(created.output.contains("account agent: balance 0 USDC (0 base units)"), "\(created.output)")

            // The API key can come from PB_API_KEY instead of the flag.
            let topUp = try runner.run(
                ["meter", "account", "top-up", "agent", "0.01", "--top-up-id", "t1", "--gateway", gateway.baseURL],
                environment: ["PB_API_KEY": gateway.adminKey])
            #expect(topUp.status == 0, "\(topUp.errorOutput)")
            #expect(topUp.output.contains("top-up t1: +0.01"), "\(topUp.output)")
            #expect(topUp.output.contains("balance 0.01 USDC (10000 base units)"), "\(topUp.output)")
            let replayed = try meter.run("account", "top-up", "agent", "0.01", "--top-up-id", "t1")
            #expect(replayed.status == 0)
            #expect(replayed.output.contains("balance 0.01 USDC (10000 base units)"), "a replayed top-up credits once: \(replayed.output)")

            let started = try meter.run(
                "session", "start", "--id", "chat1", "--account", "agent", "--service", "chat", "--plan", "plan.json")
            #expect(started.status == 0, "\(started.errorOutput)")
            #expect(started.output.contains("session chat1: active"), "\(started.output)")

            // 500 input tokens (0.001) and 1,000 output tokens (0.008): 0.009, leaving 0.001.
            let first = try meter.run(
                "session", "usage", "chat1", "--event-id", "e1", "--quantity", "input_token=500", "--quantity", "output_token=1000")
            #expect(first.status == 0, "\(first.errorOutput)")
            #expect(first.output.contains("recorded 1, duplicates 0, refused 0; debited 0.009"), "\(first.output)")
            let again = try meter.run(
                "session", "usage", "chat1", "--event-id", "e1", "--quantity", "input_token=500", "--quantity", "output_token=1000")
            #expect(again.output.contains("recorded 0, duplicates 1, refused 0; debited 0"), "an event id charges once: \(again.output)")

            // Bulk from standard-input-like JSON lines: e2 (0.0008) is paid, e3 (0.0008) is not: 0.0002 is left.
            try (#"{"id": "e2", "quantities": {"output_token": 100}}"# + "\n\n"
                + #"{"id": "e3", "quantities": {"output_token": 100}}"# + "\n")
                .write(toFile: runner.path("events.jsonl"), atomically: true, encoding: .utf8)
            let bulk = try meter.run("session", "usage", "chat1", "--file", "events.jsonl")
            #expect(bulk.status == 1, "an unpaid event is a refusal")
            #expect(bulk.errorOutput.contains("refused: insufficient_funds: 1 events not recorded (e3)"), "\(bulk.errorOutput)")
            #expect(bulk.output.contains("recorded 1, duplicates 0, refused 1; debited 0.0008"), "\(bulk.output)")
            let stopped = try meter.run("session", "show", "chat1")
            #expect(stopped.output.contains("session chat1: stopped: insufficient_funds"), "\(stopped.output)")
            #expect(stopped.output.contains("charged 0.0098 (9800 base units), 2 usage events"), "\(stopped.output)")
            let drained = try meter.run("account", "show", "agent")
            #expect(drained.output.contains("balance 0.0002 USDC (200 base units)"), "\(drained.output)")

            let refill = try meter.run("account", "top-up", "agent", "0.01", "--top-up-id", "t2")
            #expect(refill.status == 0, "\(refill.errorOutput)")
            #expect(refill.output.contains("resumed sessions: chat1"), "\(refill.output)")
            let resumed = try meter.run("session", "show", "chat1")
            #expect(resumed.output.contains("session chat1: active"), "\(resumed.output)")
            let retried = try meter.run("session", "usage", "chat1", "--file", "events.jsonl")
            #expect(retried.status == 0, "\(retried.errorOutput)")
            #expect(retried.output.contains("recorded 1, duplicates 1, refused 0; debited 0.0008"), "\(retried.output)")

            let stop = try meter.run("session", "stop", "chat1")
            #expect(stop.status == 0, "\(stop.errorOutput)")
            let lines = stop.output.split(separator: "\n").map(String.init)
            #expect(lines.contains("session chat1: stopped: completed"), "\(stop.output)")
            #expect(lines.contains("charged 0.0106 (10600 base units), 3 usage events"), "\(stop.output)")
            #expect(lines.contains("  500 input_token at 0.000002 = 0.001"), "\(stop.output)")
            #expect(lines.contains("  1200 output_token at 0.000008 = 0.0096"), "\(stop.output)")
            #expect(lines.contains("  exact total 0.0106, charged 0.0106, remainder 0"), "\(stop.output)")
            #expect(lines.contains { $0.hasPrefix("  top-up t2 +0.01 at ") }, "\(stop.output)")
            #expect(lines.contains("  balance 0.0094"), "\(stop.output)")
            let final = try meter.run("account", "show", "agent", "--json")
            let account = try JSONValue.parse(final.output)
            #expect(account["balance"]?.stringValue == "0.0094")
            #expect(account["toppedUp"]?.stringValue == "0.02")
            #expect(account["spent"]?.stringValue == "0.0106")
            #expect(account["predictedDepletionAt"] == .null, "nothing is metered by time any more")
        }
    }

    @Test func refusalsExitOneWithTheCodeAndUsageErrorsExitTwo() async throws {
        try await Self.withGateway { runner, gateway, meter in

            let unknown = try meter.run("account", "top-up", "nobody", "1", "--top-up-id", "t1")
            #expect(unknown.status == 1)
            #expect(unknown.errorOutput == "refused: not_found: no account nobody\n", "\(unknown.errorOutput)")
            #expect(try meter.run("account", "create", "--id", "empty").status == 0)
            let broke = try meter.run(
                "session", "start", "--id", "s1", "--account", "empty", "--service", "chat", "--plan", "plan.json")
            #expect(broke.status == 1)
            #expect(broke.errorOutput.hasPrefix("refused: insufficient_funds: "), "\(broke.errorOutput)")
            let missing = try meter.run("session", "show", "s1")
            #expect(missing.status == 1, "a refused start stores nothing")
            #expect(missing.errorOutput.hasPrefix("refused: not_found: "), "\(missing.errorOutput)")

            #expect(try meter.run("account", "top-up", "empty", "1.2.3").status == 2)
            #expect(try meter.run("session", "usage", "s1", "--quantity", "output_token=5").status == 2)
            #expect(try meter.run("session", "usage", "s1", "--event-id", "e1", "--quantity", "output_token=-5").status == 2)
            #expect(try meter.run("session", "start", "--service", "chat", "--plan", "plan.json").status == 2)
            #expect(try runner.run("meter", "account", "show", "empty", "--gateway", gateway.baseURL).status == 2, "no API key")
            try "{not json\n".write(toFile: runner.path("bad.jsonl"), atomically: true, encoding: .utf8)
            let badFile = try meter.run("session", "usage", "s1", "--file", "bad.jsonl")
            #expect(badFile.status == 2)
            #expect(badFile.errorOutput.contains("line 1 is not JSON"), "\(badFile.errorOutput)")
        }
    }
}

extension MeterCommandTests {
    /// A session paid by the agent's grant through a credit window it signed with `pb voucher sign --window`:
    /// reported usage draws on the grant, the window's end stops it, the next voucher resumes it.
    @Test func aGrantFundedSessionDrawsOnTheGrantWithinTheAgentsWindow() async throws {
        try await Self.withGateway { runner, gateway, meter in
            let grantId = try runner.signGrant(service: "chat", totalLimit: "1")
            for (sequence, ceiling) in [("1", "0.005"), ("2", "0.01")] {
                let signed = try runner.run(
                    "voucher", "sign", "--key", "agent.key", "--grant", "grant.json", "--cumulative-amount", ceiling,
                    "--sequence", sequence, "--window", "--valid-seconds", "86400", "--out", "window\(sequence).json")
                try #require(signed.status == 0, "\(signed.errorOutput)")
            }

            let started = try meter.run(
                "session", "start", "--id", "g1", "--voucher", "window1.json", "--grant", "grant.json", "--service", "chat",
                "--plan", "plan.json")
            #expect(started.status == 0, "\(started.errorOutput)")
            #expect(started.output.contains("grant \(grantId.lowercased()), service chat"), "\(started.output)")
            // 500 output tokens (0.004) fit the 0.005 window; 200 more (0.0016) do not.
            #expect(try meter.run("session", "usage", "g1", "--event-id", "e1", "--quantity", "output_token=500").status == 0)
            let over = try meter.run("session", "usage", "g1", "--event-id", "e2", "--quantity", "output_token=200")
            #expect(over.status == 1)
            #expect(over.output.contains("session g1: stopped: insufficient_funds"), "\(over.output)")
            #expect(try await gateway.spentBaseUnits(grantId) == "4000", "the grant paid exactly the session's draws")

            let extended = try meter.run("session", "voucher", "g1", "--voucher", "window2.json")
            #expect(extended.status == 0, "\(extended.errorOutput)")
            #expect(extended.output.contains("session g1: active"), "\(extended.output)")
            #expect(try meter.run("session", "usage", "g1", "--event-id", "e2", "--quantity", "output_token=200").status == 0)
            #expect(try await gateway.spentBaseUnits(grantId) == "5600")
            let replayed = try meter.run("session", "voucher", "g1", "--voucher", "window2.json")
            #expect(replayed.status == 1, "a voucher is used once")
            #expect(replayed.errorOutput.hasPrefix("refused: pb_sequence_replayed: "), "\(replayed.errorOutput)")
        }
    }
}

extension MeterCommandTests {
    /// A scratch directory, a demo gateway in it (stopped and removed afterwards) and the plan file.
    static func withGateway(_ body: (CommandRunner, DemoGateway, MeterRunner) async throws -> Void) async throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let gateway = try await DemoGateway.start(in: runner)
        defer { gateway.stop() }
        try runner.write("plan.json", chatPlan)
        try await body(runner, gateway, MeterRunner(runner: runner, gateway: gateway))
    }
}

/// `pb meter …` with the gateway's URL and admin key.
struct MeterRunner {
    let runner: CommandRunner
    let gateway: DemoGateway

    func run(_ arguments: String...) throws -> CommandRunner.Result {
        try runner.run(["meter"] + arguments + ["--gateway", gateway.baseURL, "--api-key", gateway.adminKey])
    }
}
