import Foundation
import PBCore
import PBCrypto
import PBEVM
import PBEVMRail
import PBProtocol
import PBSettlement
import PBStoreSQLite
import Testing

/// The EVM rail against a live pb_devchain with the real contract and token: exact balances, nothing paid twice,
/// clear refusals, and nonces that survive a restart.
@Suite struct EVMSettlementRailTests {
    @Test func aBatchOfSeveralChannelsSettlesExactlyOnceAndAResendPaysNothing() async throws {
        let fixture = try await EVMRailFixture()
        let rail = try fixture.rail()
        try await rail.start()
        let first = fixture.grant(), second = fixture.grant()
        // Three channels, two payees, two grants unknown to the contract (the rail registers them first).
        let batch = SettlementBatch(batchId: "batch-1", claims: [
            fixture.claim(first, payee: 0, voucher: 10_000_000),
            fixture.claim(second, payee: 1, voucher: 2_500_000),
            fixture.claim(first, payee: 1, voucher: 1_230_000),
        ])
        let (prepared, status) = try await fixture.settle(batch, on: rail)
        #expect(status == .confirmed(settledCumulativeAmounts: [10_000_000, 2_500_000, 1_230_000]))
        #expect(try await fixture.balance(fixture.payees[0].address) == 10_000_000)
        #expect(try await fixture.balance(fixture.payees[1].address) == 3_730_000)
        #expect(try await fixture.balance(fixture.deployment.escrow) == fixture.escrowDeposit - 13_730_000)

        // The worker resends after a restart: the same bytes, "already mined", nothing moves.
        #expect(try await rail.prepare(batch) == prepared, "preparing a batch again gives back the same transaction")
        try await rail.broadcast(prepared, of: batch)
        try await fixture.rail().broadcast(prepared, of: batch)
        #expect(try await rail.status(of: prepared, of: batch) == status)
        #expect(try await fixture.balance(fixture.payees[0].address) == 10_000_000)
        #expect(try await fixture.balance(fixture.payees[1].address) == 3_730_000)
        // Two registrations and one settlement: nonces 0, 1, 2.
        #expect(try await fixture.nonce() == 3)
    }

    @Test func aClaimAboveItsVoucherAForgedVoucherAndAReplayPayNothingExtra() async throws {
        let fixture = try await EVMRailFixture()
        let rail = try fixture.rail()
        let grant = fixture.grant(), other = fixture.grant()
        let thief = PrivateKey.random()
        let batch = SettlementBatch(batchId: "over", claims: [
            // Charged 20 U, but the agent signed only 10 U: 10 U is paid.
            fixture.claim(grant, payee: 0, voucher: 10_000_000, charged: 20_000_000),
            // Signed by someone else than the session key: nothing.
            fixture.claim(other, payee: 1, voucher: 5_000_000, signer: thief),
        ])
        let (_, status) = try await fixture.settle(batch, on: rail)
        #expect(status == .confirmed(settledCumulativeAmounts: [10_000_000, 0]))
        #expect(try await fixture.balance(fixture.payees[0].address) == 10_000_000)
        #expect(try await fixture.balance(fixture.payees[1].address) == 0)

        // A worker that lost track replays the same voucher in a new batch: the contract pays nothing and the rail
        // reports the channel's real total.
        let replay = SettlementBatch(batchId: "replay", claims: [fixture.claim(grant, payee: 0, voucher: 10_000_000)])
        let (_, replayed) = try await fixture.settle(replay, on: rail)
        #expect(replayed == .confirmed(settledCumulativeAmounts: [10_000_000]))
        #expect(try await fixture.balance(fixture.payees[0].address) == 10_000_000)
        #expect(try await fixture.balance(fixture.deployment.escrow) == fixture.escrowDeposit - 10_000_000)
    }

    @Test func aRevertAndGasAboveTheCapAreClearErrorsAndSignNothing() async throws {
        let fixture = try await EVMRailFixture()
        let grant = fixture.grant()
        let batch = SettlementBatch(batchId: "capped", claims: [fixture.claim(grant, payee: 0, voucher: 1_000_000)])

        var capped = fixture.configuration
        capped.maximumGasPerSettlement = 30_000
        await #expect {
            try await fixture.rail(capped).prepare(batch)
        } throws: { error in
            guard case .gasAboveCap(let estimate, let cap) = error as? EVMRailError else { return false }
            return estimate > 30_000 && cap == 30_000 && "\(error)".contains("evm.maxGasPerSettlement")
        }

        // The "contract" is the token: validateAndRecord does not exist there and the call reverts.
        var wrong = fixture.configuration
        wrong.contract = fixture.deployment.token
        await #expect {
            try await fixture.rail(wrong).prepare(batch)
        } throws: { error in
            guard case .estimationReverted = error as? EVMRailError else { return false }
            return "\(error)".contains("would revert")
        }

        // Nothing was signed: no nonce used, no gap; the same batch then settles with the first nonce.
        #expect(try await fixture.nonce(block: "pending") == 0)
        let store = try SQLiteGatewayStore(path: fixture.storePath)
        #expect(try await store.highestEVMNonce(chainId: fixture.deployment.chainId, signer: fixture.gateway.address) == nil)
        let (_, status) = try await fixture.settle(batch, on: try fixture.rail())
        #expect(status == .confirmed(settledCumulativeAmounts: [1_000_000]))
    }

    @Test func aRestartResendsWhatWasSignedAndContinuesTheNoncesWithoutReuseOrGap() async throws {
        let fixture = try await EVMRailFixture()
        let grant = fixture.grant()
        try await DevChainDeployment.send(
            fixture.deployment.client, from: fixture.owner, to: fixture.deployment.escrow,
            data: try SessionKeyValidatorABI.createSessionKey(grant.grant.message))
        let first = SettlementBatch(batchId: "first", claims: [fixture.claim(grant, payee: 0, voucher: 1_000_000)])
        let second = SettlementBatch(batchId: "second", claims: [fixture.claim(grant, payee: 1, voucher: 2_000_000)])

        // The first process signs two settlements and dies before sending either.
        let crashed = try fixture.rail()
        let preparedFirst = try await crashed.prepare(first)
        let preparedSecond = try await crashed.prepare(second)
        #expect(preparedFirst.reference != preparedSecond.reference)
        #expect(try await fixture.nonce(block: "pending") == 0)

        // The restarted process: preparing again gives the same transactions; start resends both, in nonce order.
        let restarted = try fixture.rail()
        #expect(try await restarted.prepare(second) == preparedSecond)
        #expect(try await restarted.start() == 2)
        #expect(try await fixture.nonce() == 2)
        #expect(try await fixture.finalStatus(preparedFirst, of: first, on: restarted) == .confirmed(settledCumulativeAmounts: [1_000_000]))
        #expect(try await fixture.finalStatus(preparedSecond, of: second, on: restarted) == .confirmed(settledCumulativeAmounts: [2_000_000]))

        // A third settlement takes the next nonce; another restart signs nothing twice.
        let third = SettlementBatch(batchId: "third", claims: [fixture.claim(grant, payee: 0, voucher: 3_000_000)])
        let (_, status) = try await fixture.settle(third, on: try fixture.rail())
        #expect(status == .confirmed(settledCumulativeAmounts: [3_000_000]))
        #expect(try await fixture.rail().start() == 0)
        #expect(try await fixture.nonce() == 3)
        let store = try SQLiteGatewayStore(path: fixture.storePath)
        let records = try await store.evmTransactions(
            chainId: fixture.deployment.chainId, signer: fixture.gateway.address, fromNonce: 0, limit: 10)
        #expect(records.map(\.nonce) == [0, 1, 2])
        #expect(records.map(\.purpose) == ["settle:first", "settle:second", "settle:third"])
        #expect(try await fixture.balance(fixture.payees[0].address) == 3_000_000)
        #expect(try await fixture.balance(fixture.payees[1].address) == 2_000_000)
    }

    @Test func aTransactionWhoseNonceAnotherTookFailsAndNothingIsPaid() async throws {
        let fixture = try await EVMRailFixture()
        let grant = fixture.grant()
        let batch = SettlementBatch(batchId: "lost", claims: [fixture.claim(grant, payee: 0, voucher: 1_000_000)])
        let rail = try fixture.rail()
        let prepared = try await rail.prepare(batch)
        // Someone else spends the signer's nonces with the same key (another process, a wallet).
        let spent = try await fixture.nonce(block: "pending")
        for _ in 0...spent {
            try await DevChainDeployment.send(
                fixture.deployment.client, from: fixture.gateway, to: fixture.owner.address, data: [])
        }
        let status = try await rail.status(of: prepared, of: batch)
        guard case .failed(let reason) = status else { Issue.record("expected failed, got \(status)"); return }
        #expect(reason.contains("can never be mined"))
        await #expect(throws: EVMRailError.self) { try await rail.broadcast(prepared, of: batch) }
        #expect(try await fixture.balance(fixture.payees[0].address) == 0)
    }
}
