import PBLedger

/// What became of a settlement batch on the embedded ledger: posted (with each claim's settled total on the
/// ledger afterwards) or refused as a whole.
public enum LedgerBatchOutcome: Sendable, Hashable {
    case posted(settledCumulativeAmounts: [UInt128])
    case rejected(reason: String)
}

/// The embedded ledger rail's storage: PBLedger accounts and transfers kept in the gateway's store, so the ledger
/// commits with everything else (docs/SETTLEMENT.md). Transfers are immutable and unique by id; every write is
/// one transaction and balanced (debits = credits), and accounts never break their constraint.
public protocol LedgerStore: Sendable {
    /// One transaction. When `batchId` already has an outcome it is returned and nothing runs. Otherwise the
    /// accounts `accountIds` and transfers `transferIds` (those that exist) are loaded into a partial ledger,
    /// `body` applies the batch to it, and every account it changed, every transfer it created and the outcome
    /// it returns are written together.
    func settleOnLedger(
        batchId: String, accountIds: [String], transferIds: [String],
        _ body: (inout Ledger) -> LedgerBatchOutcome
    ) async throws -> LedgerBatchOutcome
    func ledgerBatchOutcome(_ batchId: String) async throws -> LedgerBatchOutcome?
    /// Opens `accounts` (identical ones again is a no-op) and applies `transfers` at `timestampSeconds`, in one
    /// transaction: linked, all of them or none; else each alone. Retries of a transfer answer `.exists`.
    func applyLedgerTransfers(
        _ transfers: [LedgerTransfer], opening accounts: [LedgerAccount], linked: Bool, at timestampSeconds: Int64
    ) async throws -> [LedgerResult]
    /// Voids open holds whose timeout has passed at `timestampSeconds`, at most `limit`; returns their ids.
    func expireLedgerHolds(at timestampSeconds: Int64, limit: Int) async throws -> [String]
    /// The accounts among `ids` that exist.
    func ledgerAccounts(_ ids: [String]) async throws -> [LedgerAccount]
    /// The whole ledger, journal in order: what `pb ledger check` checks.
    func loadLedger() async throws -> Ledger
}
