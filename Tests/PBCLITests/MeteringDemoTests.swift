import Testing

/// `pb demo rental` and `pb demo gpu` print the exact figures of docs/METERING.md and exit by themselves.
@Suite struct MeteringDemoTests {
    @Test func rentalDemoPrintsTheExactCosts() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let result = try runner.run("demo", "rental")
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        #expect(result.output.contains("rental 2025-06-02 18:30 - 22:00:"))
        #expect(result.output.contains("3.5 h at 0.5 x1.5 (peak 'evening') = 2.625"))
        #expect(result.output.contains("total 2.625 U (exact 2.625, remainder 0)"))
        #expect(result.output.contains("rental 2025-06-02 17:00 - 20:30:"))
        #expect(result.output.contains("1 h at 0.5 x1 = 0.5"))
        #expect(result.output.contains("2.5 h at 0.5 x1.5 (peak 'evening') = 1.875"))
        #expect(result.output.contains("total 0.5 + 1.875 = 2.375 U"))
        #expect(result.output.contains("balance left: 5 U of 10 U; spent 5 U"))
    }

    @Test func gpuDemoStopsAlertsAndResumesWithExactAmounts() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let result = try runner.run("demo", "gpu")
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        let expected = [
            "session gpu-1 started at t = 0 s; predicted depletion at t = 100000 s",
            "t = 90000 s: account.low_balance, balance 10 U (threshold 10 U)",
            "t = 100000 s: session.stopped (insufficient_funds), balance 0 U",
            "state stopped: insufficient_funds, charged 100 U, balance 0 U",
            "t = 100600 s: top-up 50 U; resumed gpu-1",
            "t = 100600 s: session.resumed, balance 50 U",
            "t = 101600 s: session.stopped (completed), balance 49 U",
            "101000 s at 0.001 x1 = 101",
            "top-ups: 100 U, 50 U",
            "charged 101 U (exact 101, remainder 0), balance 49 U",
        ]
        for line in expected { #expect(result.output.contains(line), "missing: \(line)\n\(result.output)") }
    }
}
