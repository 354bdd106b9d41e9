/// A double-entry ledger: accounts, immutable transfers with unique ids, two-phase holds with timeouts, balance
/// constraints, and a check that every movement balances. A value type: a store keeps it (or replays its transfers);
/// a linked batch is tried on a copy and kept only when every transfer of it succeeded.
///
/// Every transfer moves the same amount out of one account (debit) and into another (credit) of the same asset,
/// so for each asset the sum of all debits always equals the sum of all credits; `check()` proves it.
public struct Ledger: Sendable, Hashable {
    public enum PendingState: String, Sendable, Hashable, Codable {
        case open, posted, voided, expired
    }

    public struct AccountConflict: Error, Hashable, Sendable, CustomStringConvertible {
        public let accountId: String
        public var description: String { "account \(accountId) exists with another asset or constraint" }
    }

    public internal(set) var accounts: [String: LedgerAccount] = [:]
    public internal(set) var transfers: [String: LedgerTransfer] = [:]
    /// Transfer ids in the order they were created: the journal a statement or a replay reads.
    public internal(set) var journal: [String] = []
    public internal(set) var pendingStates: [String: PendingState] = [:]

    public init() {}

    /// Opens `account`; opening an identical account again is a no-op, a different one with the same id is refused.
    public mutating func open(_ account: LedgerAccount) throws(AccountConflict) {
        if let existing = accounts[account.id] {
            guard existing.asset == account.asset, existing.constraint == account.constraint else {
                throw AccountConflict(accountId: account.id)
            }
            return
        }
        accounts[account.id] = account
    }

    /// Applies one transfer at `timestampSeconds`: `.created`, `.exists` for a retry of the same request, or why not.
    public mutating func apply(_ transfer: LedgerTransfer, at timestampSeconds: Int64) -> LedgerResult {
        if let existing = transfers[transfer.id] {
            return existing.sameRequest(as: transfer) ? .exists : .rejected(.idReusedWithDifferentFields)
        }
        do throws(LedgerRejection) {
            var stamped = transfer
            stamped.timestampSeconds = timestampSeconds
            try create(stamped)
            return .created
        } catch {
            return .rejected(error)
        }
    }

    /// Applies `batch` in order. Linked: all or nothing (on the first rejection nothing of the batch is kept and the
    /// others answer `.linkedTransferFailed`). Not linked: each transfer stands alone.
    public mutating func apply(_ batch: [LedgerTransfer], at timestampSeconds: Int64, linked: Bool) -> [LedgerResult] {
        guard linked else { return batch.map { apply($0, at: timestampSeconds) } }
        var trial = self
        var results: [LedgerResult] = []
        for transfer in batch {
            let result = trial.apply(transfer, at: timestampSeconds)
            if case .rejected = result {
                return batch.indices.map { index in
                    index == results.count ? result : .rejected(.linkedTransferFailed)
                }
            }
            results.append(result)
        }
        self = trial
        return results
    }

    /// Voids every open hold whose timeout has passed at `timestampSeconds`; returns their ids.
    public mutating func expirePending(at timestampSeconds: Int64) -> [String] {
        var expired: [String] = []
        for (id, state) in pendingStates where state == .open {
            guard let hold = transfers[id], case .pending(let timeout?) = hold.kind,
                timestampSeconds >= hold.timestampSeconds + Int64(clamping: timeout)
            else { continue }
            release(hold)
            pendingStates[id] = .expired
            expired.append(id)
        }
        return expired.sorted()
    }

    // MARK: Creating a transfer

    private mutating func create(_ transfer: LedgerTransfer) throws(LedgerRejection) {
        guard var debit = accounts[transfer.debitAccountId], var credit = accounts[transfer.creditAccountId] else {
            throw .accountNotFound
        }
        guard debit.id != credit.id else { throw .sameAccount }
        guard debit.asset == credit.asset else { throw .assetMismatch }
        switch transfer.kind {
        case .single:
            guard transfer.amount > 0 else { throw .zeroAmount }
            debit.debitsPosted = try Self.add(debit.debitsPosted, transfer.amount)
            credit.creditsPosted = try Self.add(credit.creditsPosted, transfer.amount)
        case .pending:
            guard transfer.amount > 0 else { throw .zeroAmount }
            debit.debitsPending = try Self.add(debit.debitsPending, transfer.amount)
            credit.creditsPending = try Self.add(credit.creditsPending, transfer.amount)
        case .postPending(let pendingId), .voidPending(let pendingId):
            let hold = try openHold(pendingId, for: transfer)
            // The hold is released whole; a post then moves the posted part (at most the hold).
            debit.debitsPending -= hold.amount
            credit.creditsPending -= hold.amount
            if case .postPending = transfer.kind {
                guard transfer.amount <= hold.amount else { throw .amountExceedsPending }
                debit.debitsPosted = try Self.add(debit.debitsPosted, transfer.amount)
                credit.creditsPosted = try Self.add(credit.creditsPosted, transfer.amount)
            } else {
                guard transfer.amount == hold.amount else { throw .amountExceedsPending }
            }
        }
        guard debit.isWithinConstraint else { throw .exceedsCredits }
        guard credit.isWithinConstraint else { throw .exceedsDebits }
        accounts[debit.id] = debit
        accounts[credit.id] = credit
        transfers[transfer.id] = transfer
        journal.append(transfer.id)
        switch transfer.kind {
        case .single: break
        case .pending: pendingStates[transfer.id] = .open
        case .postPending(let pendingId): pendingStates[pendingId] = .posted
        case .voidPending(let pendingId): pendingStates[pendingId] = .voided
        }
    }

    /// The open, unexpired hold `pendingId`, on the same two accounts as `transfer`.
    private func openHold(_ pendingId: String, for transfer: LedgerTransfer) throws(LedgerRejection) -> LedgerTransfer {
        guard let hold = transfers[pendingId], case .pending(let timeout) = hold.kind else { throw .pendingNotFound }
        switch pendingStates[pendingId] {
        case .posted: throw .pendingAlreadyPosted
        case .voided: throw .pendingAlreadyVoided
        case .expired: throw .pendingExpired
        case .open, nil: break
        }
        if let timeout, transfer.timestampSeconds >= hold.timestampSeconds + Int64(clamping: timeout) {
            throw .pendingExpired
        }
        guard hold.debitAccountId == transfer.debitAccountId, hold.creditAccountId == transfer.creditAccountId else {
            throw .pendingAccountsDiffer
        }
        return hold
    }

    private mutating func release(_ hold: LedgerTransfer) {
        accounts[hold.debitAccountId]?.debitsPending -= hold.amount
        accounts[hold.creditAccountId]?.creditsPending -= hold.amount
    }

    private static func add(_ left: UInt128, _ right: UInt128) throws(LedgerRejection) -> UInt128 {
        let (sum, overflow) = left.addingReportingOverflow(right)
        guard !overflow else { throw .overflow }
        return sum
    }
}
