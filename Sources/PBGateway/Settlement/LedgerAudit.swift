import PBCore
import PBLedger
import PBSettlement
import PBStore

/// What `pb ledger check` verifies: the ledger's own invariants (debits = credits per asset, no account below its
/// floor, the journal replays to the stored balances) and that the gateway's settled totals agree with it (each
/// channel's settled amount equals what its ledger receivable paid out, and never exceeds what was charged).
public struct LedgerAudit: Sendable {
    public struct Report: Sendable {
        public let ledger: Ledger.CheckReport
        public let accountCount: Int
        public let transferCount: Int
        public let channelCount: Int
        public let chargedTotal: UInt128
        public let settledTotal: UInt128
        public let openSettlements: Int
        /// Credits of every payee's `paid` account and of the `fees` accounts, all assets together.
        public let paidOutTotal: UInt128
        public let feesTotal: UInt128
        public let problems: [String]
        public var isClean: Bool { problems.isEmpty }
        public var unsettledTotal: UInt128 { chargedTotal > settledTotal ? chargedTotal - settledTotal : 0 }
    }

    public let store: any GatewayStore
    public let book: SettlementLedgerBook

    public init(store: any GatewayStore, book: SettlementLedgerBook) {
        self.store = store
        self.book = book
    }

    /// Reads the whole ledger and pages through every channel (1,000 at a time).
    public func run() async throws -> Report {
        let ledger = try await store.loadLedger()
        let check = ledger.check()
        var problems = check.problems
        var channels = 0
        var charged: UInt128 = 0, settled: UInt128 = 0
        var cursor: ChannelKey?
        while true {
            let page = try await store.channelSettlementStates(after: cursor, limit: 1_000)
            for state in page {
                channels += 1
                charged &+= state.chargedCumulativeAmount
                settled &+= state.settledCumulativeAmount
                let name = state.channel.description
                if state.settledCumulativeAmount > state.chargedCumulativeAmount {
                    problems.append("channel \(name): settled \(state.settledCumulativeAmount) above charged \(state.chargedCumulativeAmount)")
                }
                let receivable = book.receivableAccount(grantId: state.channel.grantId, payee: state.channel.payee)
                // Channels settled on another rail have no receivable here; those settled on the ledger must agree.
                // While a settlement is open (killed between broadcast and confirmation) the ledger may be ahead.
                if let account = ledger.accounts[receivable], account.debitsPosted != state.settledCumulativeAmount,
                    state.openBatchId == nil || account.debitsPosted < state.settledCumulativeAmount
                {
                    problems.append(
                        "channel \(name): gateway settled \(state.settledCumulativeAmount), ledger paid \(account.debitsPosted)")
                }
            }
            guard page.count == 1_000, let last = page.last else { break }
            cursor = last.channel
        }
        let open = try await store.settlements(in: [.due, .submitted], limit: 500).count
        return Report(
            ledger: check, accountCount: ledger.accounts.count, transferCount: ledger.journal.count, channelCount: channels,
            chargedTotal: charged, settledTotal: settled, openSettlements: open,
            paidOutTotal: ledger.accounts.values.filter { $0.id.hasPrefix("paid:") }.reduce(0) { $0 &+ $1.creditsPosted },
            feesTotal: ledger.accounts.values.filter { $0.id.hasPrefix("fees:") }.reduce(0) { $0 &+ $1.creditsPosted },
            problems: problems)
    }
}
