import ArgumentParser
import Foundation
import PBSentinel
import PBSentinelEvaluation

struct SentinelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentinel", abstract: "Sentinel, the risk engine: its rules and its evaluation.",
        subcommands: [SentinelEvalCommand.self, SentinelRulesCommand.self])
}

struct SentinelEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score Sentinel's default rules on seeded, labelled traffic.",
        discussion: """
            Generates normal agents (bursty chat, steady streams, daily cycles) and planted attacks (stolen-key \
            bursts, amount spikes, slow drains, fan-outs, replay storms), plays them through a simulated gateway \
            with Sentinel on the payment path, and prints precision, recall, the false-positive rate over normal \
            keys, time to detect and the attacks stopped before 5% of the victim's limit (docs/SENTINEL.md). \
            The same seed always gives the same figures.
            """)

    @Option(name: .long, help: "The generator's seed.")
    var seed: UInt64 = 20_250_106

    @Option(name: .long, help: "Normal agents (session keys); attacks are one in fifty of them per attack type.")
    var agents = 2_000

    @Option(name: .long, help: "Simulated hours (attacks start after the first day).")
    var hours = 48

    @Option(name: .long, help: "A policy file (JSON, the config format of docs/SENTINEL.md) instead of the defaults.")
    var policy: String?

    @Flag(name: .long, help: "Also list each false-positive key and each attack not stopped in time.")
    var verbose = false

    @Flag(name: .long, help: "Exit with status 1 when the goal (FP < 1%, >= 95% stopped before 5%) is not met.")
    var check = false

    func validate() throws {
        guard agents >= 50 else { throw ValidationError("--agents must be at least 50") }
        guard hours >= 26 else { throw ValidationError("--hours must be at least 26 (attacks start after a day)") }
    }

    func run() throws {
        var chosen = SentinelPolicy.standard
        if let policy {
            let data = try Data(contentsOf: URL(fileURLWithPath: policy))
            chosen = try JSONDecoder().decode(SentinelPolicy.self, from: data)
        }
        let started = ContinuousClock.now
        let report = Evaluator(generator: TrafficGenerator(seed: seed, agentCount: agents, hours: hours), policy: chosen).run()
        print(report.table)
        if verbose { print("\n" + report.diagnostics.joined(separator: "\n")) }
        print("took \(ContinuousClock.now - started)")
        if check, !report.meetsGoal { throw ExitCode(1) }
    }
}

struct SentinelRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Print the default policy in its config format (JSON).")

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(SentinelPolicy.standard), as: UTF8.self))
    }
}
