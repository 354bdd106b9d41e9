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
        try await fixture.deployment.exactPaymentGas(
            from: holder, to: payee, amount: Self.pricePerCall, relayer: relayer, validBefore: fixture.now + 3_600)
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

        // Scenario 1 as the demo runs it: a one-payee grant the owner registered and reserved (its 50 U kept for
        // it alone, so settling skips the pooled escrow), settled to a merchant that already holds the token.
        let reservedGrant = fixture.grant(payees: [0])
        let reservation = try await fixture.deployment.registerAndReserve(reservedGrant.grant, owner: fixture.owner)
        #expect(try await fixture.deployment.reservedAmount(reservedGrant.grant.digest) == 50_000_000)
        let reserved = SettlementBatch(batchId: "scenario-1-reserved", claims: [fixture.claim(reservedGrant, payee: 0, voucher: amount)])
        let (reservedPrepared, reservedStatus) = try await fixture.settle(reserved, on: rail)
        #expect(reservedStatus == .confirmed(settledCumulativeAmounts: [amount]))
        #expect(try await fixture.balance(payee) == amount * 22)
        #expect(try await fixture.deployment.reservedAmount(reservedGrant.grant.digest) == 50_000_000 - amount)
        let reservedGas = try await gasUsed(fixture, reservedPrepared)

        // x402 exact: a transfer per call. The holder pays the first (a new recipient) and a repeat.
        let holder = PrivateKey.random()
        try await fixture.deployment.mint(amount, to: holder.address, by: fixture.owner)
        let freshPayee = PrivateKey.random().address
        let exactFirst = try await exactPayment(fixture, holder: holder, to: freshPayee, relayer: fixture.gateway)
        let exactRepeat = try await exactPayment(fixture, holder: holder, to: freshPayee, relayer: fixture.gateway)
        #expect(try await fixture.balance(freshPayee) == 2 * Self.pricePerCall)

        let callCount = UInt64(Self.calls)
        let report = """
            scenario 1 gas: settlement of 1,000 calls alone \(loneGas) gas = \(Double(loneGas) / Double(callCount)) per call; \
            in a batch of 20 channels \(batchedGasPerChannel) per channel = \(Double(batchedGasPerChannel) / Double(callCount)) per call; \
            x402 exact first/repeat \(exactFirst)/\(exactRepeat) per call; ratio alone \(Double(loneGas) / Double(callCount) / Double(exactRepeat)), \
            batched \(Double(batchedGasPerChannel) / Double(callCount) / Double(exactRepeat)); \
            reserved one-payee grant to a token holder \(reservedGas) gas = \(Double(reservedGas) / Double(callCount)) per call, \
            ratio \(Double(reservedGas) / Double(callCount) / Double(exactRepeat)) (register \(reservation.register), \
            reserve \(reservation.reserve) gas, once per grant)
            """
        print(report)
        // What the rail must give: one settlement for 1,000 calls costs far less than 1,000 transfers, and batching
        // channels brings it under 1/1000 of a transfer per call.
        #expect(loneGas * 100 < exactRepeat * callCount, "\(report)")
        #expect(batchedGasPerChannel < exactRepeat, "\(report)")
        // The goal for the lone channel: a reserved grant's settlement of 1,000 calls costs at most one x402
        // transfer, i.e. at most 1/1000 of it per call.
        #expect(reservedGas <= exactRepeat, "\(report)")
        #expect(reservedGas < loneGas, "\(report)")
    }
}
