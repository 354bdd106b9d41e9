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

    func settleAndReport() async throws {
        let threshold = worker.settings.policy.threshold(for: payee)
        let ledgerRail = worker.rail as? LedgerSettlementRail
        let before = try await paidBalance(ledgerRail)
        let round = await worker.runRound()
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
