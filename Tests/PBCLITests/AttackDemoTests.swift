import Testing

/// `pb demo attack`: the stolen key's burst is frozen inside the burst, the alerts come out of the sink, nothing
/// more is charged, and the owner's signed unfreeze lets the agent pay again.
@Suite struct AttackDemoTests {
    @Test func theBurstIsFrozenAlertedAndUnfrozenByTheOwner() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let result = try runner.run("demo", "attack")
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        let expected = [
            "10 calls paid, HTTP 200 each; spent 0.1 USDC",
            "thief's calls 1-90 paid (the key's calls 11-100 this minute)",
            "thief's call 91 (the key's call 101 this minute): refused, pb_key_frozen: session key is frozen by Sentinel rule call-burst",
            "every later call refused: 60 of 150 refused",
            "stored status frozen; spent 1 USDC: nothing charged after the freeze",
            "ALERT [high] ruleFired call-burst on key",
            "EVENT [high] frozen call-burst on key",
            "rule fired and key frozen in the same second: yes",
            "signed by the owner: HTTP 200",
            "EVENT [high] unfrozen",
            "the agent pays again: HTTP 200; status active, spent 1.01 USDC",
        ]
        for line in expected { #expect(result.output.contains(line), "missing: \(line)\n\(result.output)") }
    }
}
