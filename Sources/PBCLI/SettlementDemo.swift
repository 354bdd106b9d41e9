import Foundation
import PBCore
import PBCrypto
import PBGateway
import PBSettlement
import PBStore

/// The end of scenario 1: one round of the settlement worker after the agent's calls, and what it paid.
struct SettlementDemo {
    let worker: SettlementWorker
    let payee: EthereumAddress
    let token: EthereumAddress
    /// The local chain of `--rail evm`: the payee's token balance is read there.
    var chain: DemoChain?
    /// The chain's deployer (it may mint the test token) and a funded account, to measure x402 `exact` beside it.
    var owner: PrivateKey?

    /// x402 `exact` on the same chain for the same calls, one `transferWithAuthorization` each, to a payee in the
    /// same state as the settled one. A payee's first token balance costs ~17k gas on either rail: x402 pays it in
    /// its first payment and spreads it over all of them, the settlement pays it inside its one transaction, so a
    /// merchant address that never held the token gets its first settlement at ~1/810 (docs/PERFORMANCE.md).
    private func compareWithExact(
        _ chain: DemoChain, settlementGas: UInt64, calls: UInt128, payeeWasNew: Bool, owner: PrivateKey
    ) async throws {
        let holder = PrivateKey.random(), recipient = PrivateKey.random().address
        let price = ChatbotDemoCommand.pricePerCallBaseUnits
        // More than the two payments take: emptying the holder's balance would earn a refund no real payer gets.
        try await chain.deployment.mint(price * 100, to: holder.address, by: owner)
        let validBefore = UInt64(SystemWallClock().now.seconds) + 3_600
        let first = try await chain.deployment.exactPaymentGas(
            from: holder, to: recipient, amount: price, relayer: owner, validBefore: validBefore)
        let repeated = try await chain.deployment.exactPaymentGas(
            from: holder, to: recipient, amount: price, relayer: owner, validBefore: validBefore)
        let exactTotal = payeeWasNew ? UInt128(first) + (calls - 1) * UInt128(repeated) : calls * UInt128(repeated)
        let fraction = exactTotal / UInt128(settlementGas)
        ChatbotDemoCommand.say(
            "x402 exact on this chain for the same \(calls) calls, to a payee that "
                + (payeeWasNew ? "is a new account (as this one was)" : "already holds the token (as this one did)")
                + ": \(first) gas for a first payment, \(repeated) for each later one, \(exactTotal) gas in all; this "
                + "settlement is 1/\(fraction) of it (goal <= 1/1000: \(fraction >= 1_000 ? "met" : "not met"))")
        ChatbotDemoCommand.say(
            "a payee's first token balance costs \(first - repeated) gas on either rail: x402 pays it once in \(calls) "
                + "payments, a settlement inside its one transaction"
                + (payeeWasNew ? "" : " (run with --new-merchant to see that first settlement)"))
    }

    func settleAndReport() async throws {
        let threshold = worker.settings.policy.threshold(for: payee)
        let ledgerRail = worker.rail as? LedgerSettlementRail
        let before = try await paidBalance(ledgerRail)
        let chainBefore = try await chain?.tokenBalance(of: payee)
        var round = await worker.runRound()
        // A chain settlement is submitted in one round and confirmed in a later one, once its receipt has the
        // configured confirmations: drive the worker (bounded) until nothing is pending.
        for _ in 0..<50 where !round.pending.isEmpty {
            try await Task.sleep(for: .milliseconds(200))
            let next = await worker.runRound()
            round.confirmed += next.confirmed
            round.failed += next.failed
            round.pending = next.pending
            round.errors += next.errors
        }
        let settled = round.confirmed + round.failed + round.pending
        ChatbotDemoCommand.say(
            "\n== Settlement on the \(worker.rail.name) rail (threshold \(ChatbotDemoCommand.usdcText(threshold))): "
                + "\(round.confirmed.count) settlement\(round.confirmed.count == 1 ? "" : "s") confirmed")
        if settled.isEmpty {
            ChatbotDemoCommand.say("nothing due yet: the channel settles once \(ChatbotDemoCommand.usdcText(threshold)) is unsettled")
        }
        for record in settled {
            ChatbotDemoCommand.say(
                "settlement \(record.batchId): \(record.state.rawValue), \(record.claims.count) claim(s), "
                    + "\(ChatbotDemoCommand.usdcText(record.totalAmountDue)), due for \(record.reasons.map(\.rawValue).joined(separator: ", ")), "
                    + "reference \(record.prepared?.reference ?? "-")")
            for claim in record.claims {
                ChatbotDemoCommand.say(
                    "  channel \(claim.channel): charged \(ChatbotDemoCommand.usdcText(claim.chargedCumulativeAmount)), "
                        + "voucher \(ChatbotDemoCommand.usdcText(claim.voucher.message.cumulativeAmount)), settled "
                        + "\(ChatbotDemoCommand.usdcText(claim.settledCumulativeAmount)) -> "
                        + "\(ChatbotDemoCommand.usdcText(claim.confirmedCumulativeAmount ?? claim.settledCumulativeAmount))")
            }
        }
        for error in round.errors { ChatbotDemoCommand.say("settlement error: \(error)") }
        if let chain, let reference = round.confirmed.last?.prepared?.reference, let hash = try? Bytes32(hex: reference),
            let receipt = try await chain.deployment.client.transactionReceipt(hash)
        {
            let calls = round.confirmed.last.map { $0.totalAmountDue / ChatbotDemoCommand.pricePerCallBaseUnits } ?? 0
            ChatbotDemoCommand.say(
                "settlement transaction \(reference) in block \(receipt.blockNumber): \(receipt.gasUsed) gas"
                    + (calls > 0 ? ", \(UInt128(receipt.gasUsed) / calls) gas per paid call" : ""))
            if calls > 0, let chainBefore, let owner {
                try await compareWithExact(chain, settlementGas: receipt.gasUsed, calls: calls, payeeWasNew: chainBefore == 0, owner: owner)
            }
        }
        if let chain, let chainBefore {
            let after = try await chain.tokenBalance(of: payee)
            ChatbotDemoCommand.say(
                "payee \(payee.checksummed) token balance on chain \(chain.deployment.chainId): "
                    + "\(ChatbotDemoCommand.usdcText(chainBefore)) -> \(ChatbotDemoCommand.usdcText(after)) "
                    + "(+\(ChatbotDemoCommand.usdcText(after - chainBefore)))")
        }
        if ledgerRail != nil {
            let after = try await paidBalance(ledgerRail)
            ChatbotDemoCommand.say(
                "payee \(payee.checksummed) paid balance on the ledger: \(ChatbotDemoCommand.usdcText(before)) -> "
                    + "\(ChatbotDemoCommand.usdcText(after)) (+\(ChatbotDemoCommand.usdcText(after - before)))")
        }
    }

    private func paidBalance(_ rail: LedgerSettlementRail?) async throws -> UInt128 {
        guard let rail else { return 0 }
        let account = rail.book.paidAccount(payee: payee, token: token)
        return try await rail.store.ledgerAccounts([account]).first?.creditsPosted ?? 0
    }
}
