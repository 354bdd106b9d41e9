import PBTestSupport
import Testing

/// `pb demo attack`: the stolen key's burst is frozen inside the burst, the alerts come out of the sink, nothing
/// more is charged, and the owner's signed unfreeze lets the agent pay again.
@Suite struct AttackDemoTests {
    @Test func theBurstIsFrozenAlertedAndUnfrozenByTheOwner() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let result = try runner.run("demo", "attack")
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        // The agent's pace is scripted on the gateway's clock, so the call that trips the rule is the same on
        // every machine: the 9th call of the burst is the 9th in 10 s, with the last 3 gaps far below 15 s.
        let expected = [
            "10 calls paid, HTTP 200 each; spent 0.1 USDC",
            "thief's calls 1-8 paid (the key's calls 11-18)",
            "thief's call 9 (the key's call 19): refused, pb_key_frozen: session key is frozen by Sentinel rule burst-start",
            "every later call refused: 142 of 150 refused",
            "stored status frozen; spent 0.18 USDC: nothing charged after the freeze",
            "ALERT [high] ruleFired burst-start on key",
            "key calls in 10s: 9 > 8",
            "EVENT [high] frozen burst-start on key",
            "rule fired and key frozen in the same second: yes",
            "webhook receiver: 2 deliveries, each PB-Signature verified with the shared secret (0 rejected): frozen, ruleFired",
            "SMTP server 127.0.0.1:",
            "from sentinel@gateway.example to owner@agent.example: [PB alert] [HIGH] Sentinel: payments frozen for key 0x",
            "from sentinel@gateway.example to owner@agent.example: [PB alert] [HIGH] Sentinel: rule fired for key 0x",
            "delivery log: email frozen attempt 1: delivered",
            "delivery log: email ruleFired attempt 1: delivered",
            "delivery log: webhook frozen attempt 1: delivered",
            "delivery log: webhook ruleFired attempt 1: delivered",
            "signed by the owner: HTTP 200",
            "EVENT [high] unfrozen",
            "the agent pays again: HTTP 200; status active, spent 0.19 USDC",
        ]
        for line in expected { #expect(result.output.contains(line), "missing: \(line)\n\(result.output)") }
    }

    /// The same alert e-mail reaches a real SMTP server (aiosmtpd through spec/tools/smtp_sink.py) when the demo is
    /// pointed at it: the message that arrived names the rule and the frozen key.
    @Test func theAlertMailArrivesAtARealSMTPServer() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let result = try runner.run("demo", "attack", "--smtp-port", "\(sink.port)")
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        #expect(result.output.contains("delivery log: email frozen attempt 1: delivered"), "\(result.output)")
        let received = try sink.received()
        #expect(received.count == 2, "ruleFired and frozen: \(received.map(\.data))")
        #expect(received.allSatisfy { $0.mailFrom == "sentinel@gateway.example" && $0.recipients == ["owner@agent.example"] })
        let frozen = try #require(received.first { $0.data.contains("Subject: [PB alert] [HIGH] Sentinel: payments frozen") })
        #expect(frozen.data.contains("burst-start"), "\(frozen.data)")
    }
}
