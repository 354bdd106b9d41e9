import Foundation
import PBClient
import PBCore
import PBCrypto
import PBProtocol
import PBTestSupport
import Testing

/// Scenario 1 on the ledger rail, `pb ledger check`, and the gateway killed with SIGKILL during settlement.
@Suite(.serialized) struct SettlementCommandTests {
    /// 1,000 calls at 0.01 U with the 10 U threshold: exactly one settlement, and the payee's paid balance on the
    /// ledger rises by exactly 10 U; `pb ledger check` then finds the ledger balanced and agreeing with it.
    @Test func aThousandCallsSettleOnceForExactlyTenUnits() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let demo = try runner.run(
            "demo", "chatbot", "--calls", "1000", "--port", "0", "--exit", "--rail", "ledger", "--data-dir",
            runner.path("gateway"))
        #expect(demo.status == 0, "\(demo.errorOutput)")
        #expect(demo.output.contains("call 1000: HTTP 200"))
        #expect(demo.output.contains("== Settlement on the ledger rail (threshold 10 USDC): 1 settlement confirmed"), "\(demo.output)")
        let records = demo.output.split(separator: "\n").filter { $0.hasPrefix("settlement stl-") }
        #expect(records.count == 1, "exactly one settlement: \(records)")
        #expect(records.first?.contains(": confirmed, 1 claim(s), 10 USDC, due for threshold, reference ledger:stl-") == true)
        #expect(demo.output.contains("paid balance on the ledger: 0 USDC -> 10 USDC (+10 USDC)"), "\(demo.output)")

        let check = try runner.run("ledger", "check", "--data-dir", runner.path("gateway"))
        #expect(check.status == 0, "\(check.output)\(check.errorOutput)")
        #expect(check.output.contains("charged 10000000, settled 10000000, unsettled 0"), "\(check.output)")
        #expect(check.output.contains("paid out 10000000, fees 0"), "\(check.output)")
        #expect(check.output.contains("debits 70000000 = credits 70000000"), "the 50 U deposit, 10 U accrued, 10 U paid: \(check.output)")
    }

    /// Scenario 1 on a local chain (chain/pb_devchain.py): the token and escrow deployed, 50 U deposited, 1,000 calls
    /// at 0.01 U, exactly one settlement transaction at 10 U, the payee's token balance up by exactly 10 U on chain,
    /// and the settlement record holding that transaction's hash.
    @Test func aThousandCallsSettleOnceOnChain() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let demo = try runner.run(
            "demo", "chatbot", "--calls", "1000", "--port", "0", "--exit", "--rail", "evm", "--repository",
            RepositoryFiles.root.path, "--data-dir", runner.path("gateway"))
        #expect(demo.status == 0, "\(demo.output)\(demo.errorOutput)")
        #expect(demo.output.contains("the owner deposited 50 USDC"))
        #expect(demo.output.contains("call 1000: HTTP 200"))
        #expect(demo.output.contains("== Settlement on the evm rail (threshold 10 USDC): 1 settlement confirmed"), "\(demo.output)")
        let records = demo.output.split(separator: "\n").filter { $0.hasPrefix("settlement stl-") }
        #expect(records.count == 1, "exactly one settlement: \(records)")
        let reference = try #require(records.first?.components(separatedBy: "reference ").last)
        #expect(reference.hasPrefix("0x") && reference.count == 66, "a transaction hash: \(reference)")
        #expect(records.first?.contains(": confirmed, 1 claim(s), 10 USDC, due for threshold") == true)
        #expect(demo.output.contains("settlement transaction \(reference) in block"), "the receipt of that very hash")
        #expect(demo.output.contains("token balance on chain 31337: 25 USDC -> 35 USDC (+10 USDC)"), "\(demo.output)")
        // The owner reserved the grant's 50 U, so the settlement skips the pooled escrow; against x402 exact for the
        // same 1,000 calls, measured on the same chain to a payee in the same state (one that holds the token, as a
        // merchant selling for it does), the one settlement costs at most 1/1000: the issue's goal.
        #expect(demo.output.contains("reserved 50 USDC of its escrow for it"), "\(demo.output)")
        #expect(try Self.exactFraction(demo.output) >= 1_000)
        #expect(demo.output.contains("(goal <= 1/1000: met)"))
    }

    /// The same with a merchant address that has never held the token: its first token balance (~17k gas) is paid
    /// inside the one settlement, while x402 spreads it over 1,000 payments, and the demo says the goal is missed.
    @Test func aNewMerchantsFirstSettlementPaysForItsTokenBalance() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let demo = try runner.run(
            "demo", "chatbot", "--calls", "1000", "--port", "0", "--exit", "--rail", "evm", "--new-merchant",
            "--repository", RepositoryFiles.root.path, "--data-dir", runner.path("gateway"))
        #expect(demo.status == 0, "\(demo.output)\(demo.errorOutput)")
        #expect(demo.output.contains("token balance on chain 31337: 0 USDC -> 10 USDC (+10 USDC)"), "\(demo.output)")
        let fraction = try Self.exactFraction(demo.output)
        #expect(fraction >= 750 && fraction < 1_000)
        #expect(demo.output.contains("(goal <= 1/1000: not met)"))
    }

    /// N of "this settlement is 1/N" in the demo's comparison with x402 exact.
    private static func exactFraction(_ output: String) throws -> Int {
        let comparison = try #require(output.split(separator: "\n").first { $0.hasPrefix("x402 exact on this chain") })
        let fraction = try #require(comparison.components(separatedBy: "settlement is 1/").last?.split(separator: " ").first)
        return try #require(Int(fraction), "\(comparison)")
    }

    @Test func ledgerCheckRefusesAMissingDatabase() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let check = try runner.run("ledger", "check", "--data-dir", runner.path("nothing-here"))
        #expect(check.status != 0)
        #expect(check.errorOutput.contains("no gateway database"), "\(check.errorOutput)")
    }

    /// `pb serve` with the ledger rail, killed with SIGKILL 20 times while it settles (at each step of a
    /// settlement through PB_SETTLEMENT_CRASH_AT, and at random moments), restarted each time, with agents paying
    /// in between. Afterwards every charge is settled exactly once: the ledger balances, each channel's settled
    /// amount equals what the ledger paid, and the total settled equals the total charged and the total paid out.
    @Test func killingTheGatewayDuringSettlementLosesAndDoublesNothing() async throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let upstream = try await ChatUpstream.start(in: runner)
        defer { upstream.stop() }
        let port = try await ChatUpstream.freePort()
        let usdc = try EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")
        let config = { (threshold: String) in
            """
                listen: { host: 127.0.0.1, port: \(port) }
                dataDirectory: \(runner.path("gateway"))
                settlement:
                  rail: ledger
                  threshold: "\(threshold)"
                  intervalSeconds: 1
                  batchSize: 2
                \(upstream.servicesYAML(payee: ChatUpstream.payee, asset: usdc, network: "eip155:8453"))
                """
        }
        let agents = try (0..<3).map { index in try ChatUpstream.agent(index, in: runner) }
        let (selfKilled, check) = try await SettlementCrashDriver.killAndRecover(
            runner: runner, port: port, agents: agents, configuration: config)
        #expect(selfKilled >= 12, "most crash points were reached during a settlement")
        #expect(check.status == 0, "\(check.output)\(check.errorOutput)")
        #expect(check.output.contains("unsettled 0 "), "nothing due is forgotten: \(check.output)")
        #expect(check.output.contains("open settlements 0"), "\(check.output)")
        let charged = try #require(Self.number(after: "charged ", in: check.output))
        let settled = try #require(Self.number(after: "settled ", in: check.output))
        let paid = try #require(Self.number(after: "paid out ", in: check.output))
        #expect(charged >= 10 * 10_000, "the agents were charged between the kills: \(check.output)")
        #expect(settled == charged, "everything charged is settled")
        #expect(paid == settled, "and paid exactly once on the ledger")
    }

    /// UInt64, not UInt128: a UInt128 local in an async test function left its task suspended forever on this
    /// toolchain (its async frame is laid out misaligned), which is why this test used to hang.
    static func number(after prefix: String, in text: String) -> UInt64? {
        guard let range = text.range(of: prefix) else { return nil }
        return UInt64(String(text[range.upperBound...].prefix { $0.isNumber }))
    }
}

/// A chat API for `pb serve` to forward to: `pb demo chatbot`'s, in a child process; and agents paying it.
struct ChatUpstream {
    static let payee = try! EthereumAddress("0x9f1B6b1E2c4a0a1c83c6af1Bd6E7f0a2b3C4d5e6")
    let process: BackgroundProcess
    let port: Int

    static func start(in runner: CommandRunner) async throws -> ChatUpstream {
        let process = try BackgroundProcess(
            executable: CommandRunner.binary,
            arguments: ["demo", "chatbot", "--calls", "1", "--port", "0", "--rail", "none", "--data-dir", runner.path("upstream")],
            directory: runner.directory)
        let output = try await process.waitForOutput(containing: "The gateway keeps running")
        let marker = "in front of a chat API on port "
        guard let range = output.range(of: marker), let port = Int(output[range.upperBound...].prefix { $0.isNumber }) else {
            process.stop()
            throw ChatUpstreamFailure(description: "no chat API port in:\n\(output)")
        }
        return ChatUpstream(process: process, port: port)
    }

    func stop() { process.stop() }

    /// The `services:` section of a `pb serve` config forwarding `POST /v1/chat` (0.01 a call) to this upstream.
    func servicesYAML(payee: EthereumAddress, asset: EthereumAddress, network: String) -> String {
        """
        services:
          - id: chat
            name: Chat
            payee: "\(payee.checksummed)"
            asset: "\(asset.checksummed)"
            network: \(network)
            upstream: http://127.0.0.1:\(port)
            pathPrefix: /
            routes:
              - { method: POST, path: /v1/chat, price: "0.01" }
        """
    }

    /// A port nothing listens on now: bound by the kernel's choice, then released.
    static func freePort() async throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw ChatUpstreamFailure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// An agent with its own 50 U grant to the chat payee, its state kept across the gateway's restarts.
    static func agent(_ index: Int, in runner: CommandRunner) throws -> PBClient {
        let owner = PrivateKey.random(), sessionKey = PrivateKey.random()
        let now = UInt64(Date().timeIntervalSince1970)
        let grant = SignedSessionGrant.sign(
            SessionGrant(
                owner: owner.address, sessionKey: sessionKey.address,
                asset: try EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"), payees: [payee],
                services: ["chat"], totalLimit: 50_000_000, validAfter: now - 60, validUntil: now + 86_400),
            domain: PBSessionDomain.make(chainId: 8453), with: owner)
        var options = PBClient.Options()
        // The gateway dies under it on purpose: a call to a killed gateway fails after 5 s, not the default 30.
        options.timeoutSeconds = 5
        return try PBClient(
            sessionKey: sessionKey, grant: grant, stateFile: runner.path("agent-\(index).json"), options: options)
    }
}

struct ChatUpstreamFailure: Error, CustomStringConvertible {
    let description: String
}

/// The kill loop of the crash tests: `pb serve` (configured by the runner's pb.yaml) started 20 times, 16 of them
/// told to kill itself at a step of a settlement (PB_SETTLEMENT_CRASH_AT) and 4 killed with SIGKILL at a random
/// moment, with the agents paying while it runs; then a clean run until `pb ledger check` shows nothing unsettled
/// and no open settlement (bounded). Returns how many crash points were reached and the last check.
/// Kills `pb serve` 20 times while agents pay and it settles, then runs it once more cleanly until nothing is
/// unsettled or open. `configuration` gives the gateway's config for a settlement threshold: the crash runs settle
/// at two calls (0.02), the last run at one (0.01), so that a single call a kill left unsettled (it landed between
/// an agent's two calls) is due too and "nothing due is forgotten" can be checked exactly.
enum SettlementCrashDriver {
    static func killAndRecover(
        runner: CommandRunner, port: Int, agents: [PBClient], configuration: (_ threshold: String) -> String
    ) async throws -> (selfKilled: Int, check: CommandRunner.Result) {
        try configuration("0.02").write(toFile: runner.path("pb.yaml"), atomically: true, encoding: .utf8)
        try configuration("0.01").write(toFile: runner.path("pb-final.yaml"), atomically: true, encoding: .utf8)
        let crashPoints = ["after-create", "after-prepare", "after-broadcast", "after-confirm", ""]
        var selfKilled = 0
        for iteration in 0..<20 {
            let crashPoint = crashPoints[iteration % crashPoints.count]
            let gateway = try BackgroundProcess(
                executable: URL(fileURLWithPath: "/usr/bin/env"),
                arguments: [
                    "PB_CONFIG=\(runner.path("pb.yaml"))", "PB_ADMIN_KEY=pbk_test_admin_key_0123456789",
                    "PB_SETTLEMENT_CRASH_AT=\(crashPoint)", CommandRunner.binary.path, "serve",
                ], directory: runner.directory)
            // A crash point may be reached while resuming, before the server listens: that is a kill too.
            if (try? await gateway.waitForOutput(containing: "Server started", deadlineSeconds: 60)) != nil {
                // Only while the gateway lives: once it killed itself, a call would wait out the client's timeout
                // (the HTTP client retries a refused connection until then), which made this test take an hour.
                for agent in agents {
                    for _ in 0..<2 where gateway.isRunning {
                        _ = try? await agent.send(
                            method: "POST", url: "http://127.0.0.1:\(port)/v1/chat", body: Array("{}".utf8))
                    }
                }
            }
            if crashPoint.isEmpty {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...1_500)))
                gateway.killAbruptly()
            } else if try await gateway.waitForExit(deadlineSeconds: 20) {
                selfKilled += 1
            } else {
                gateway.killAbruptly()
            }
        }
        // A last, clean run settles whatever the kills left open or unsettled.
        let final = try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["PB_CONFIG=\(runner.path("pb-final.yaml"))", CommandRunner.binary.path, "serve"],
            directory: runner.directory)
        _ = try await final.waitForOutput(containing: "Server started", deadlineSeconds: 60)
        var check = try runner.run("ledger", "check", "--data-dir", runner.path("gateway"))
        for _ in 0..<60 where !check.output.contains("unsettled 0 ") || !check.output.contains("open settlements 0") {
            try await Task.sleep(for: .milliseconds(500))
            check = try runner.run("ledger", "check", "--data-dir", runner.path("gateway"))
        }
        final.stop()
        return (selfKilled, try runner.run("ledger", "check", "--data-dir", runner.path("gateway")))
    }
}
