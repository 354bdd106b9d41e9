import Foundation
import PBClient
import PBCore
import PBCrypto
import PBEVM
import PBEVMRail
import PBProtocol
import PBTestSupport
import Testing

/// `pb serve` with `settlement.rail: evm` against a live pb_devchain, killed with SIGKILL 20 times while it settles
/// (at each step of a settlement through PB_SETTLEMENT_CRASH_AT, and at random moments), with agents paying in
/// between. Afterwards the chain and the gateway agree: the payee's token balance on chain is exactly what the
/// gateway recorded as settled, which is exactly what it charged; the escrow paid nothing twice.
@Suite(.serialized) struct EVMSettlementCrashTests {
    @Test func killingTheGatewayDuringChainSettlementLosesAndDoublesNothing() async throws {
        let owner = PrivateKey.random(), payee = PrivateKey.random(), settler = PrivateKey.random()
        let chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [owner.address, payee.address, settler.address])
        let deployment = try await DevChainDeployment.deploy(
            client: EthereumRPCClient(url: chain.url), deployer: owner, repositoryRoot: RepositoryFiles.root)
        try await deployment.fundEscrow(owner: owner, amount: 150_000_000)
        try await deployment.allowSettler(payee: payee, settler: settler.address)

        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let upstream = try await ChatUpstream.start(in: runner)
        defer { upstream.stop() }
        let port = try await ChatUpstream.freePort()
        try KeyFile.write(settler, to: runner.path("settlement.key"), overwrite: true)
        let config = { (threshold: String) in
            """
                listen: { host: 127.0.0.1, port: \(port) }
                dataDirectory: \(runner.path("gateway"))
                chainId: \(deployment.chainId)
                verifyingContract: "\(deployment.escrow.checksummed)"
                settlement:
                  rail: evm
                  threshold: "\(threshold)"
                  intervalSeconds: 1
                  batchSize: 2
                evm:
                  chainId: \(deployment.chainId)
                  rpcUrl: \(chain.url)
                  contract: "\(deployment.escrow.checksummed)"
                  token: "\(deployment.token.checksummed)"
                  signerKeyFile: \(runner.path("settlement.key"))
                  receiptPollIntervalMilliseconds: 100
                \(upstream.servicesYAML(
                    payee: payee.address, asset: deployment.token, network: "eip155:\(deployment.chainId)"))
                """
        }
        let domain = PBSessionDomain.make(chainId: deployment.chainId, verifyingContract: deployment.escrow)
        let agents = try (0..<3).map { index in
            try Self.agent(index, owner: owner, payee: payee.address, token: deployment.token, domain: domain, in: runner)
        }
        let (selfKilled, check) = try await SettlementCrashDriver.killAndRecover(
            runner: runner, port: port, agents: agents, configuration: config)
        #expect(selfKilled >= 12, "most crash points were reached during a settlement")
        #expect(check.output.contains("unsettled 0 "), "nothing due is forgotten: \(check.output)")
        #expect(check.output.contains("open settlements 0"), "\(check.output)")
        // UInt64 on purpose: UInt128 locals in async functions are unsafe on this toolchain (see DemoChain).
        let charged = try #require(SettlementCommandTests.number(after: "charged ", in: check.output))
        let settled = try #require(SettlementCommandTests.number(after: "settled ", in: check.output))
        let onChain = UInt64(try await deployment.tokenBalance(of: payee.address))
        #expect(charged >= 10 * 10_000, "the agents were charged between the kills: \(check.output)")
        #expect(settled == charged, "everything charged is settled: \(check.output)")
        #expect(onChain == settled, "the chain paid exactly what the gateway settled, once: \(onChain) on chain")
    }

    /// An agent with its own 50 U grant from `owner` (whose escrow holds the funds) to `payee`, signed for the
    /// escrow's EIP-712 domain; its state kept across the gateway's restarts.
    static func agent(
        _ index: Int, owner: PrivateKey, payee: EthereumAddress, token: EthereumAddress, domain: EIP712Domain,
        in runner: CommandRunner
    ) throws -> PBClient {
        let sessionKey = PrivateKey.random()
        let now = UInt64(Date().timeIntervalSince1970)
        let grant = SignedSessionGrant.sign(
            SessionGrant(
                owner: owner.address, sessionKey: sessionKey.address, asset: token, payees: [payee],
                services: ["chat"], totalLimit: 50_000_000, validAfter: now - 600, validUntil: now + 86_400),
            domain: domain, with: owner)
        var options = PBClient.Options()
        options.timeoutSeconds = 5
        return try PBClient(
            sessionKey: sessionKey, grant: grant, stateFile: runner.path("evm-agent-\(index).json"), options: options)
    }
}
