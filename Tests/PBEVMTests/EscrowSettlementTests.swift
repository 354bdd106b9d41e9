import Foundation
import PBCore
import PBCrypto
import PBEVMRail
import PBProtocol
import PBTestSupport
import Testing

@testable import PBEVM

/// Scenario 1's settlement on a real EVM: the escrow and a test USDC compiled from `contracts/`, deployed on
/// pb_devchain, funded by the owner, and a voucher signed in Swift settled by the payee through
/// `validateAndRecord` with call data built by PBEVM. What the Swift rail will do, end to end.
@Suite struct EscrowSettlementTests {
    let owner = PrivateKey.random(), agent = PrivateKey.random(), payee = PrivateKey.random()

    /// Sends `data` to `to` (nil: deploys) from `key`, waits for the receipt, and requires success.
    @discardableResult
    func send(_ client: EthereumRPCClient, from key: PrivateKey, to: EthereumAddress?, data: [UInt8]) async throws
        -> TransactionReceipt
    {
        try await DevChainDeployment.send(client, from: key, to: to, data: data)
    }

    func tokenBalance(_ client: EthereumRPCClient, token: EthereumAddress, of holder: EthereumAddress) async throws
        -> UInt128
    {
        let output = try await client.call(to: token, data: try ABI.callData("balanceOf", [(.address, .address(holder))]))
        return output.suffix(16).reduce(0) { $0 << 8 | UInt128($1) }
    }

    @Test func aVoucherSignedInSwiftSettlesExactlyOnChainOnce() async throws {
        let chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [owner.address, payee.address])
        let client = EthereumRPCClient(url: chain.url)
        let chainId = try await client.chainId()

        // Deploy: the test token (minter: the owner) and the escrow with a one-hour withdraw delay.
        let tokenDeploy = try await send(client, from: owner, to: nil, data: try EscrowContract.bytecode("contracts/test/TestUSDC.vy"))
        let token = try #require(tokenDeploy.contractAddress)
        let escrowCode = try EscrowContract.bytecode("contracts/SessionKeyValidator.vy")
            + (try ABI.encode([.uint(3_600)], as: [.uint(bits: 256)]))
        let escrowDeploy = try await send(client, from: owner, to: nil, data: escrowCode)
        let escrow = try #require(escrowDeploy.contractAddress)

        // The owner funds the escrow with 50 USDC.
        let deposit: UInt128 = 50_000_000
        try await send(client, from: owner, to: token, data: try ABI.callData("mint", [(.address, .address(owner.address)), (.uint(bits: 256), .uint(deposit))]))
        try await send(client, from: owner, to: token, data: try ABI.callData("approve", [(.address, .address(escrow)), (.uint(bits: 256), .uint(deposit))]))
        try await send(client, from: owner, to: escrow, data: try ABI.callData("deposit", [(.address, .address(token)), (.uint(bits: 256), .uint(deposit))]))

        // The grant: 50 USDC for 30 days to this payee. Its id computed in Swift is the contract's digest.
        let now = UInt64(Date().timeIntervalSince1970)
        let grant = SessionGrant(
            owner: owner.address, sessionKey: agent.address, asset: token, payees: [payee.address], services: ["chat"],
            totalLimit: deposit, validAfter: now - 600, validUntil: now + 30 * 86_400)
        let domain = PBSessionDomain.make(chainId: chainId, verifyingContract: escrow)
        let signedGrant = SignedSessionGrant.sign(grant, domain: domain, with: owner)
        let onChainDigest = try await client.call(
            to: escrow, data: try ABI.callData("grantDigest", [(EscrowContract.grantType, EscrowContract.grantValue(grant))]))
        #expect(onChainDigest == signedGrant.digest.bytes, "the contract and PBProtocol hash the grant alike")
        try await send(
            client, from: owner, to: escrow,
            data: try ABI.callData("createSessionKey", [(EscrowContract.grantType, EscrowContract.grantValue(grant))]))

        // 1,000 calls at 0.01 USDC accumulate off-chain into one voucher of 10 USDC: one settlement pays it.
        let charged: UInt128 = 1_000 * 10_000
        let voucher = SignedPaymentVoucher.sign(
            PaymentVoucher(
                grantId: signedGrant.digest, payee: payee.address, cumulativeAmount: charged, sequence: 1_000,
                requestBinding: .zero, validUntil: now + 3_600),
            domain: domain, with: agent)
        let claims: [(ABI.ValueType, ABI.Value)] = [
            (EscrowContract.claimsType, .array([EscrowContract.claimValue(voucher, chargedCumulativeAmount: charged)]))
        ]
        let settlement = try await send(client, from: payee, to: escrow, data: try ABI.callData("validateAndRecord", claims))
        #expect(try await tokenBalance(client, token: token, of: payee.address) == charged)
        #expect(try await tokenBalance(client, token: token, of: escrow) == deposit - charged)
        #expect(settlement.gasUsed < 200_000, "one settlement for 1,000 calls: \(settlement.gasUsed) gas")

        // The same voucher again pays nothing: the contract records what each channel has been paid.
        try await send(client, from: payee, to: escrow, data: try ABI.callData("validateAndRecord", claims))
        #expect(try await tokenBalance(client, token: token, of: payee.address) == charged)
    }
}
