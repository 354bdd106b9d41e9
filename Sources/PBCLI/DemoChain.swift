import Foundation
import PBCore
import PBCrypto
import PBEVM
import PBEVMRail

/// `pb demo chatbot --rail evm`'s chain: chain/pb_devchain.py (py-evm behind JSON-RPC on a free loopback port),
/// the test token and SessionKeyValidator compiled by vyper and deployed, the owner's 50 USDC deposited in escrow,
/// and the payee letting the gateway's settlement key settle for it. The chain's output is copied to a log file in
/// the data directory.
struct DemoChain {
    let chain: DevChain
    let deployment: DevChainDeployment
    let payee: PrivateKey
    let settler: PrivateKey

    /// The files the demo needs from the repository: run it from a checkout, or name one with --repository.
    static func checkRepository(_ root: URL) throws {
        for path in ["chain/pb_devchain.py", "contracts/SessionKeyValidator.vy", "contracts/test/TestUSDC.vy"] {
            guard FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) else {
                throw CommandFailure("--rail evm needs \(path) from the repository; run from a checkout or pass --repository")
            }
        }
    }

    /// `deposit` is in base units; a UInt64 because a UInt128 argument of an async function crashes this
    /// toolchain on resumption (a misaligned async frame; the same as with UInt128 captured by task-group closures).
    static func start(repository: URL, owner: PrivateKey, deposit: UInt64, logFile: String) async throws -> DemoChain {
        try checkRepository(repository)
        let payee = PrivateKey.random(), settler = PrivateKey.random()
        // A minute is plenty for py-evm to start; the demo should not sit silent longer than that.
        let chain = try await DevChain(
            repositoryRoot: repository, funded: [owner.address, payee.address, settler.address], logFile: logFile,
            startTimeoutSeconds: 60)
        let deployment = try await DevChainDeployment.deploy(
            client: EthereumRPCClient(url: chain.url), deployer: owner, repositoryRoot: repository)
        try await deployment.fundEscrow(owner: owner, amount: UInt128(deposit))
        try await deployment.allowSettler(payee: payee, settler: settler.address)
        return DemoChain(chain: chain, deployment: deployment, payee: payee, settler: settler)
    }

    var url: String { chain.url }

    func tokenBalance(of holder: EthereumAddress) async throws -> UInt128 {
        try await deployment.tokenBalance(of: holder)
    }

    func stop() { chain.stop() }
}
