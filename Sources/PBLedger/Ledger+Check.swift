/// The ledger's invariants, checked from its accounts and its journal: what `pb ledger check` reports.
extension Ledger {
    /// One asset's total debits and credits, posted or pending.
    public struct Totals: Sendable, Hashable {
        public var debits: UInt128 = 0
        public var credits: UInt128 = 0
    }

    public struct CheckReport: Sendable, Hashable {
        /// Per asset: total posted debits and credits (equal when the ledger balances).
        public let totals: [String: Totals]
        public let problems: [String]
        public var balances: Bool { problems.isEmpty }
    }

    /// Total debits equal total credits per asset (posted and pending), no account breaks its constraint, and
    /// replaying the journal gives every account exactly its stored amounts.
    public func check() -> CheckReport {
        var problems: [String] = []
        var totals: [String: Totals] = [:]
        var pendingTotals: [String: Totals] = [:]
        for account in accounts.values.sorted(by: { $0.id < $1.id }) {
            totals[account.asset, default: Totals()].debits &+= account.debitsPosted
            totals[account.asset, default: Totals()].credits &+= account.creditsPosted
            pendingTotals[account.asset, default: Totals()].debits &+= account.debitsPending
            pendingTotals[account.asset, default: Totals()].credits &+= account.creditsPending
            if !account.isWithinConstraint { problems.append("account \(account.id) breaks \(account.constraint.rawValue)") }
        }
        for (asset, total) in totals.sorted(by: { $0.key < $1.key }) where total.debits != total.credits {
            problems.append("\(asset): posted debits \(total.debits) != credits \(total.credits)")
        }
        for (asset, total) in pendingTotals.sorted(by: { $0.key < $1.key }) where total.debits != total.credits {
            problems.append("\(asset): pending debits \(total.debits) != credits \(total.credits)")
        }
        problems += replayProblems()
        return CheckReport(totals: totals, problems: problems)
    }

    /// Rebuilds every account's four amounts from the journal and compares them with the stored ones.
    private func replayProblems() -> [String] {
        var rebuilt = accounts.mapValues { LedgerAccount(id: $0.id, asset: $0.asset, constraint: $0.constraint) }
        var outcome: [String: PendingState] = pendingStates
        for id in journal {
            guard let transfer = transfers[id] else { return ["journal names unknown transfer \(id)"] }
            switch transfer.kind {
            case .single:
                rebuilt[transfer.debitAccountId]?.debitsPosted &+= transfer.amount
                rebuilt[transfer.creditAccountId]?.creditsPosted &+= transfer.amount
            case .pending:
                // Held until the journal posts or voids it; expired and still-open holds are settled below.
                rebuilt[transfer.debitAccountId]?.debitsPending &+= transfer.amount
                rebuilt[transfer.creditAccountId]?.creditsPending &+= transfer.amount
            case .postPending(let pendingId), .voidPending(let pendingId):
                guard let hold = transfers[pendingId] else { return ["transfer \(id) names unknown hold \(pendingId)"] }
                rebuilt[hold.debitAccountId]?.debitsPending &-= hold.amount
                rebuilt[hold.creditAccountId]?.creditsPending &-= hold.amount
                outcome[pendingId] = nil
                if case .postPending = transfer.kind {
                    rebuilt[transfer.debitAccountId]?.debitsPosted &+= transfer.amount
                    rebuilt[transfer.creditAccountId]?.creditsPosted &+= transfer.amount
                }
            }
        }
        for (pendingId, state) in outcome where state == .expired {
            if let hold = transfers[pendingId] {
                rebuilt[hold.debitAccountId]?.debitsPending &-= hold.amount
                rebuilt[hold.creditAccountId]?.creditsPending &-= hold.amount
            }
        }
        return accounts.keys.sorted().compactMap { id in
            rebuilt[id] == accounts[id] ? nil : "account \(id) differs from the replay of its transfers"
        }
    }
}
