import ArgumentParser
import PBCore
import PBGateway
import PBMetering

/// The seed's GPU scenario: an enterprise tops up an agent with 100 U ("充值 100 U"); GPU time costs 0.001 U per
/// second; the session stops at the second the balance cannot cover, the low-balance alert fires at 10 U, and a
/// top-up resumes it. Real metering code on a manual clock, so ~28 hours finish at once.
struct GPUDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpu",
        abstract: "A prepaid GPU session: low balance at 10 U, stop at the exact second, resume on top-up.",
        discussion: "Prints the exact figures of docs/METERING.md and exits (no server is started).")

    @Option(name: .customLong("top-up-again"), help: "The second top-up, in U, that resumes the session.")
    var secondTopUp = "50"

    @Option(name: .customLong("run-after-resume"), help: "Seconds the resumed session runs before it is stopped.")
    var secondsAfterResume: Int64 = 1_000

    func validate() throws {
        guard (1...1_000_000).contains(secondsAfterResume) else { throw ValidationError("--run-after-resume is 1...1000000") }
    }

    func run() async throws {
        let start = UnixTime(seconds: 1_764_000_000)
        let since = { (time: UnixTime) in "t = \((time.milliseconds - start.milliseconds) / 1000) s" }
        var demo = try MeteringDemo(start: start)
        print("== pb demo gpu: 0.001 U per GPU-second, prepaid; low-balance alert at 10% of the refill level")
        _ = try await demo.meter.openAccount(id: "agent", asset: .usdc, lowBalance: LowBalancePolicy())
        _ = try await demo.meter.topUp(accountId: "agent", topUpId: "topup-1", amount: MeteringExamples.gpuTopUp)
        print("enterprise tops up agent: 100 U (充值 100 U)")
        let session = try await demo.meter.startSession(
            id: "gpu-1", accountId: "agent", service: "gpu", plan: MeteringExamples.gpuPlan(),
            timeMetering: TimeMetering(unit: .second, intervalSeconds: 600))
        guard let account = try await demo.store.account("agent") else { throw CommandFailure("account vanished") }
        let forecast = try await demo.meter.depletionTime(of: account)
        print("session gpu-1 started at t = 0 s; predicted depletion at \(forecast.map(since) ?? "never")")

        try await demo.run(session.id, until: start.adding(seconds: 200_000))
        for event in try await demo.newEvents() { print(describe(event, since: since)) }
        guard let stopped = try await demo.store.session(session.id) else { throw CommandFailure("session vanished") }
        print("state \(stopped.state), charged \(stopped.charged.decimalString) U, balance \(try await balance(demo)) U")

        let topUpAt = start.adding(seconds: 100_600)
        demo.clock.set(topUpAt)
        guard let outcome = try await demo.meter.topUp(
            accountId: "agent", topUpId: "topup-2", amount: MeteringDemo.usdc(secondTopUp))
        else { throw CommandFailure("account vanished") }
        let resumed = outcome.resumed
        print("\n\(since(topUpAt)): top-up \(secondTopUp) U; resumed \(resumed.map(\.id).joined(separator: ", "))")
        for event in try await demo.newEvents() { print(describe(event, since: since)) }
        let end = topUpAt.adding(seconds: secondsAfterResume)
        try await demo.run(session.id, until: end)
        demo.clock.set(end)
        _ = try await demo.meter.stop(sessionId: session.id)
        for event in try await demo.newEvents() { print(describe(event, since: since)) }

        guard let statement = try await demo.meter.statement(sessionId: session.id) else { throw CommandFailure("no statement") }
        print("\nstatement of gpu-1:")
        for line in statement.lines { print("  \(MeteringDemo.describe(line))") }
        print("  top-ups: \(statement.topUps.map { "\($0.amount.decimalString) U" }.joined(separator: ", "))")
        print("  charged \(statement.charged.decimalString) U (exact \(statement.exactTotal.decimalString), remainder \(statement.remainder.decimalString)), balance \(statement.balance.decimalString) U")
    }

    private func balance(_ demo: MeteringDemo) async throws -> String {
        try await demo.store.account("agent")?.balance.decimalString ?? "?"
    }

    private func describe(_ event: MeteringEvent, since: (UnixTime) -> String) -> String {
        var text = "\(since(event.at)): \(event.kind.rawValue)"
        if let reason = event.reason { text += " (\(reason.rawValue))" }
        text += ", balance \(event.balance.decimalString) U"
        if let threshold = event.threshold { text += " (threshold \(threshold.decimalString) U)" }
        return text
    }
}
