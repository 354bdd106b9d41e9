import Foundation
import PBCore
import PBCrypto
import PBEVM
import PBEVMRail
import PBProtocol
import PBSettlement
import PBStoreSQLite
import PBTestSupport

/// A live pb_devchain with the token and escrow deployed, an owner with 300 USDC in escrow, two payees that let the
/// gateway's settlement key settle for them, and a store file the rail keeps its transactions in.
final class EVMRailFixture {
    let chain: DevChain
    let deployment: DevChainDeployment
    let owner = PrivateKey.random(), gateway = PrivateKey.random()
    let payees = [PrivateKey.random(), PrivateKey.random()]
    let storePath: String
    let escrowDeposit: UInt128 = 300_000_000
    let now = UInt64(Date().timeIntervalSince1970)

    init() async throws {
        chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [owner.address, gateway.address] + payees.map(\.address))
        let client = EthereumRPCClient(url: chain.url)
        deployment = try await DevChainDeployment.deploy(client: client, deployer: owner, repositoryRoot: RepositoryFiles.root)
        try await deployment.fundEscrow(owner: owner, amount: escrowDeposit)
        for payee in payees { try await deployment.allowSettler(payee: payee, settler: gateway.address) }
        storePath = FileManager.default.temporaryDirectory.appendingPathComponent("pb-evm-rail-\(UUID().uuidString).sqlite").path
    }

    deinit {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }
    }

    var configuration: EVMRailConfiguration {
        var configuration = EVMRailConfiguration(
            chainId: deployment.chainId, rpcURL: chain.url, contract: deployment.escrow, token: deployment.token,
            signerKeyFile: "/unused-in-tests")
        configuration.receiptPollIntervalMilliseconds = 20
        return configuration
    }

    /// A rail over the fixture's store file: a new instance is what a restarted gateway has.
    func rail(_ configuration: EVMRailConfiguration? = nil) throws -> EVMSettlementRail {
        EVMSettlementRail(
            configuration: configuration ?? self.configuration, signer: gateway,
            store: try SQLiteGatewayStore(path: storePath))
    }

    var domain: EIP712Domain { PBSessionDomain.make(chainId: deployment.chainId, verifyingContract: deployment.escrow) }

    /// A grant the owner signed off-chain (the rail registers it), for a new session key.
    /// `payees` are indexes into the fixture's payees (default: both).
    func grant(limit: UInt128 = 50_000_000, payees payeeIndexes: [Int] = [0, 1]) -> (grant: SignedSessionGrant, agent: PrivateKey) {
        let agent = PrivateKey.random()
        let grant = SessionGrant(
            owner: owner.address, sessionKey: agent.address, asset: deployment.token,
            payees: payeeIndexes.map { payees[$0].address },
            services: ["chat"], totalLimit: limit, validAfter: now - 600, validUntil: now + 30 * 86_400)
        return (SignedSessionGrant.sign(grant, domain: domain, with: owner), agent)
    }

    /// A claim on (grant, payee): a voucher for `voucherAmount` signed by `signer` (the agent, or a thief).
    func claim(
        _ grant: (grant: SignedSessionGrant, agent: PrivateKey), payee: Int, voucher voucherAmount: UInt128,
        charged: UInt128? = nil, settled: UInt128 = 0, signer: PrivateKey? = nil
    ) -> SettlementClaim {
        let voucher = SignedPaymentVoucher.sign(
            PaymentVoucher(
                grantId: grant.grant.digest, payee: payees[payee].address, cumulativeAmount: voucherAmount,
                sequence: 1, requestBinding: .zero, validUntil: now + 3_600),
            domain: domain, with: signer ?? grant.agent)
        return SettlementClaim(
            grant: grant.grant, voucher: voucher, chargedCumulativeAmount: charged ?? voucherAmount,
            settledCumulativeAmount: settled)
    }

    /// prepare -> broadcast -> status until final (the chain mines at once; a bound guards a stuck test).
    func settle(_ batch: SettlementBatch, on rail: EVMSettlementRail) async throws -> (PreparedSettlement, SettlementStatus) {
        let prepared = try await rail.prepare(batch)
        try await rail.broadcast(prepared, of: batch)
        return (prepared, try await finalStatus(prepared, of: batch, on: rail))
    }

    func finalStatus(_ prepared: PreparedSettlement, of batch: SettlementBatch, on rail: EVMSettlementRail) async throws
        -> SettlementStatus
    {
        for _ in 0..<500 {
            let status = try await rail.status(of: prepared, of: batch)
            if status != .pending { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw PendingSettlement(reference: prepared.reference)
    }

    func balance(_ holder: EthereumAddress) async throws -> UInt128 { try await deployment.tokenBalance(of: holder) }

    func nonce(block: String = "latest") async throws -> UInt64 {
        try await deployment.client.transactionCount(of: gateway.address, block: block)
    }
}

/// A settlement the fixture waited for that never left `pending`.
struct PendingSettlement: Error, CustomStringConvertible {
    let reference: String
    var description: String { "settlement \(reference) still pending" }
}
