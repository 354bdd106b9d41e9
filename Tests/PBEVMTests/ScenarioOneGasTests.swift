import Foundation
import PBCore
import PBCrypto
import PBEVM
import PBEVMRail
import PBProtocol
import PBSettlement
import Testing

/// Scenario 1's gas per paid call: 1,000 calls at 0.01 U settled by the EVM rail in one transaction, against x402
/// `exact` (one EIP-3009 `transferWithAuthorization` per call), on the same pb_devchain with the same token.
/// The figures are printed for docs/PERFORMANCE.md; the assertions hold what the rail promises.
@Suite struct ScenarioOneGasTests {
    static let calls: UInt128 = 1_000
    static let pricePerCall: UInt128 = 10_000  // 0.01 U in 6-decimal base units

    /// The token's EIP-3009 authorization signed by `holder`, relayed by `relayer`: one x402 `exact` payment.
    func exactPayment(_ fixture: EVMRailFixture, holder: PrivateKey, to payee: EthereumAddress, relayer: PrivateKey)
        async throws -> UInt64
    {
        let token = fixture.deployment.token
        let domainSeparator = Keccak256.hash(try ABI.encode(
            [
                .fixedBytes(Keccak256.hash(Array("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)".utf8))),
                .fixedBytes(Keccak256.hash(Array("USDC".utf8))), .fixedBytes(Keccak256.hash(Array("2".utf8))),
                .uint(UInt128(fixture.deployment.chainId)), .address(token),
            ],
            as: [.fixedBytes(count: 32), .fixedBytes(count: 32), .fixedBytes(count: 32), .uint(bits: 256), .address]))
        let nonce = Bytes32.random().bytes
        let validBefore = UInt128(fixture.now + 3_600)
        let structHash = Keccak256.hash(try ABI.encode(
            [
                .fixedBytes(Keccak256.hash(Array(
                    "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)".utf8))),
                .address(holder.address), .address(payee), .uint(Self.pricePerCall), .uint(0), .uint(validBefore),
                .fixedBytes(nonce),
            ],
            as: [.fixedBytes(count: 32), .address, .address, .uint(bits: 256), .uint(bits: 256), .uint(bits: 256), .fixedBytes(count: 32)]))
        let signature = try holder.sign(digest: Keccak256.hash([0x19, 0x01] + domainSeparator + structHash)).bytes
        let word: ABI.ValueType = .uint(bits: 256)
        let callData = try ABI.callData("transferWithAuthorization", [
            (.address, .address(holder.address)), (.address, .address(payee)), (word, .uint(Self.pricePerCall)),
            (word, .uint(0)), (word, .uint(validBefore)), (.fixedBytes(count: 32), .fixedBytes(nonce)),
            (.uint(bits: 8), .uint(UInt128(signature[64] < 27 ? signature[64] + 27 : signature[64]))),
            (.fixedBytes(count: 32), .fixedBytes(Array(signature[0..<32]))), (.fixedBytes(count: 32), .fixedBytes(Array(signature[32..<64]))),
        ])
        return try await DevChainDeployment.send(fixture.deployment.client, from: relayer, to: token, data: callData).gasUsed
    }

    func gasUsed(_ fixture: EVMRailFixture, _ prepared: PreparedSettlement) async throws -> UInt64 {
        try #require(try await fixture.deployment.client.transactionReceipt(try Bytes32(hex: prepared.reference))).gasUsed
    }

    @Test func oneSettlementOfAThousandCallsAgainstAThousandExactPayments() async throws {
        let fixture = try await EVMRailFixture()
        let rail = try fixture.rail()
        let payee = fixture.payees[0].address
        let amount = Self.calls * Self.pricePerCall

        // One agent, one channel: 1,000 calls accumulate into one voucher of 10 U, settled once.
        let single = fixture.grant()
        let lone = SettlementBatch(batchId: "scenario-1", claims: [fixture.claim(single, payee: 0, voucher: amount)])
        let (lonePrepared, loneStatus) = try await fixture.settle(lone, on: rail)
        #expect(loneStatus == .confirmed(settledCumulativeAmounts: [amount]))
        #expect(try await fixture.balance(payee) == amount)
        let loneGas = try await gasUsed(fixture, lonePrepared)

        // The gateway's usual case: many agents' channels to one merchant settled together (here 20).
        let grants = (0..<20).map { _ in fixture.grant() }
        let many = SettlementBatch(batchId: "scenario-1-batched", claims: grants.map { fixture.claim($0, payee: 0, voucher: amount) })
        let (manyPrepared, manyStatus) = try await fixture.settle(many, on: rail)
        #expect(manyStatus == .confirmed(settledCumulativeAmounts: Array(repeating: amount, count: 20)))
        #expect(try await fixture.balance(payee) == amount * 21)
        let batchedGasPerChannel = try await gasUsed(fixture, manyPrepared) / 20

        // x402 exact: a transfer per call. The holder pays the first (a new recipient) and a repeat.
        let holder = PrivateKey.random()
        try await DevChainDeployment.send(
            fixture.deployment.client, from: fixture.owner, to: fixture.deployment.token,
            data: try ABI.callData("mint", [(.address, .address(holder.address)), (.uint(bits: 256), .uint(amount))]))
        let freshPayee = PrivateKey.random().address
        let exactFirst = try await exactPayment(fixture, holder: holder, to: freshPayee, relayer: fixture.gateway)
        let exactRepeat = try await exactPayment(fixture, holder: holder, to: freshPayee, relayer: fixture.gateway)
        #expect(try await fixture.balance(freshPayee) == 2 * Self.pricePerCall)

        let callCount = UInt64(Self.calls)
        let report = """
            scenario 1 gas: settlement of 1,000 calls alone \(loneGas) gas = \(Double(loneGas) / Double(callCount)) per call; \
            in a batch of 20 channels \(batchedGasPerChannel) per channel = \(Double(batchedGasPerChannel) / Double(callCount)) per call; \
            x402 exact first/repeat \(exactFirst)/\(exactRepeat) per call; ratio alone \(Double(loneGas) / Double(callCount) / Double(exactRepeat)), \
            batched \(Double(batchedGasPerChannel) / Double(callCount) / Double(exactRepeat))
            """
        print(report)
        // What the rail must give: one settlement for 1,000 calls costs far less than 1,000 transfers, and batching
        // channels brings it under 1/1000 of a transfer per call.
        #expect(loneGas * 100 < exactRepeat * callCount, "\(report)")
        #expect(batchedGasPerChannel < exactRepeat, "\(report)")
    }
}
