/// Rebuilding a ledger value from what a store kept: all of it (for `check()`), or only the accounts and transfers
/// one operation touches (a store applies a batch to that part and writes back what changed).
extension Ledger {
    /// A ledger holding exactly these accounts, transfers (with the journal order given) and hold states, as a
    /// store read them. Nothing is re-validated here: `check()` is what tells whether they agree.
    public init(
        restoringAccounts accounts: [LedgerAccount], transfers: [LedgerTransfer], journal: [String],
        pendingStates: [String: PendingState]
    ) {
        self.init()
        self.accounts = Dictionary(accounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.transfers = Dictionary(transfers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.journal = journal
        self.pendingStates = pendingStates
    }
}

extension LedgerAccount {
    /// An account with the amounts a store kept for it.
    public init(
        id: String, asset: String, constraint: Constraint, debitsPosted: UInt128, creditsPosted: UInt128,
        debitsPending: UInt128, creditsPending: UInt128
    ) {
        self.init(id: id, asset: asset, constraint: constraint)
        self.debitsPosted = debitsPosted
        self.creditsPosted = creditsPosted
        self.debitsPending = debitsPending
        self.creditsPending = creditsPending
    }
}

extension LedgerTransfer {
    /// A transfer as a store kept it, with the time the ledger stamped on it.
    public init(restoring transfer: LedgerTransfer, timestampSeconds: Int64) {
        self = transfer
        self.timestampSeconds = timestampSeconds
    }
}
