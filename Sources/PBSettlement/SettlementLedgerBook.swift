import PBCore
import PBCrypto
import PBLedger
import PBProtocol

/// The embedded rail's chart of accounts and the transfers that settle a batch on it (docs/SETTLEMENT.md).
///
/// Per asset: `deposits` (the outside world), each owner's `escrow` (cannot go below zero), each channel's
/// `receivable` (what the gateway charged for the payee and has not paid yet; cannot go below zero), each payee's
/// `paid` and the operator's `fees`. A grant is the owner's deposit on this rail, as escrowed funds are on the
/// contract: the first settlement of a grant moves its limit from `deposits` to the owner's escrow.
///
/// A claim to target T moves `T - credits(receivable)` from escrow to the receivable (the charges accrue) and
/// `T - debits(receivable)` from the receivable to `paid` (and `fees`). Both are read from the ledger itself, in
/// the transaction that writes them, so the rail pays each channel up to T once, whatever the caller believed
/// was settled: a replayed or duplicated claim pays nothing, as on the contract.
public struct SettlementLedgerBook: Sendable, Hashable {
    /// The network part of asset names: `eip155:<chainId>/<token>`.
    public let chainId: UInt64
    /// The operator's fee on each settled amount, in basis points (rounded down); 0 by default.
    public let feeBasisPoints: UInt64

    public init(chainId: UInt64, feeBasisPoints: UInt64 = 0) {
        precondition(feeBasisPoints <= 10_000, "a fee is at most the whole amount")
        self.chainId = chainId
        self.feeBasisPoints = feeBasisPoints
    }

    public func asset(_ token: EthereumAddress) -> String { "eip155:\(chainId)/\(token.lowercased)" }
    public func depositsAccount(_ token: EthereumAddress) -> String { "deposits:\(asset(token))" }
    public func escrowAccount(owner: EthereumAddress, token: EthereumAddress) -> String {
        "escrow:\(owner.lowercased):\(asset(token))"
    }
    public func receivableAccount(grantId: Bytes32, payee: EthereumAddress) -> String {
        "receivable:\(grantId.hex):\(payee.lowercased)"
    }
    public func paidAccount(payee: EthereumAddress, token: EthereumAddress) -> String {
        "paid:\(payee.lowercased):\(asset(token))"
    }
    public func feesAccount(_ token: EthereumAddress) -> String { "fees:\(asset(token))" }
    public func depositTransferId(grantId: Bytes32) -> String { "deposit:\(grantId.hex)" }

    /// Every account a batch touches, as opened (a store loads these before `settle`).
    public func accounts(for batch: SettlementBatch) -> [LedgerAccount] {
        var accounts: [String: LedgerAccount] = [:]
        for claim in batch.claims {
            let grant = claim.grant.message
            let asset = asset(grant.asset)
            for account in [
                LedgerAccount(id: depositsAccount(grant.asset), asset: asset),
                LedgerAccount(
                    id: escrowAccount(owner: grant.owner, token: grant.asset), asset: asset,
                    constraint: .debitsMustNotExceedCredits),
                LedgerAccount(
                    id: receivableAccount(grantId: claim.grantId, payee: claim.payee), asset: asset,
                    constraint: .debitsMustNotExceedCredits),
                LedgerAccount(id: paidAccount(payee: claim.payee, token: grant.asset), asset: asset),
                LedgerAccount(id: feesAccount(grant.asset), asset: asset),
            ] {
                accounts[account.id] = account
            }
        }
        return accounts.values.sorted { $0.id < $1.id }
    }

    /// Transfer ids whose presence `settle` must know about (each grant's deposit).
    public func transferIds(for batch: SettlementBatch) -> [String] {
        Array(Set(batch.claims.map { depositTransferId(grantId: $0.grantId) })).sorted()
    }

    /// Settles `batch` on `ledger` (holding at least `accounts(for:)` and the deposits of `transferIds(for:)`), as
    /// one linked batch: all of it or nothing. Returns each claim's settled total on the ledger afterwards, or why
    /// it was refused (nothing was written then).
    public func settle(_ batch: SettlementBatch, on ledger: inout Ledger, at timestampSeconds: Int64)
        -> Result<[UInt128], LedgerRejection>
    {
        for account in accounts(for: batch) {
            do { try ledger.open(account) } catch { return .failure(.accountNotFound) }
        }
        var transfers: [LedgerTransfer] = []
        var depositedGrants: Set<Bytes32> = []
        // What this batch moves per receivable, so two claims of one channel in a batch cannot both pay.
        var accrued: [String: UInt128] = [:], settled: [String: UInt128] = [:]
        var targets: [UInt128] = []
        for (index, claim) in batch.claims.enumerated() {
            let grant = claim.grant.message
            let depositId = depositTransferId(grantId: claim.grantId)
            if ledger.transfers[depositId] == nil, depositedGrants.insert(claim.grantId).inserted {
                transfers.append(
                    LedgerTransfer(
                        id: depositId, debitAccountId: depositsAccount(grant.asset),
                        creditAccountId: escrowAccount(owner: grant.owner, token: grant.asset),
                        amount: grant.totalLimit, code: "grant_deposit"))
            }
            let receivable = receivableAccount(grantId: claim.grantId, payee: claim.payee)
            let account = ledger.accounts[receivable]
            let creditsSoFar = accrued[receivable] ?? account?.creditsPosted ?? 0
            let debitsSoFar = settled[receivable] ?? account?.debitsPosted ?? 0
            let target = claim.targetCumulativeAmount
            targets.append(max(target, debitsSoFar))
            if target > creditsSoFar {
                transfers.append(
                    LedgerTransfer(
                        id: "accrue:\(batch.batchId):\(index)", debitAccountId: escrowAccount(owner: grant.owner, token: grant.asset),
                        creditAccountId: receivable, amount: target - creditsSoFar, code: "charge"))
                accrued[receivable] = target
            }
            guard target > debitsSoFar else { continue }
            let amount = target - debitsSoFar
            let fee = amount.multipliedFullWidth(by: UInt128(feeBasisPoints))
            let feeAmount = UInt128(10_000).dividingFullWidth(fee).quotient
            if amount > feeAmount {
                transfers.append(
                    LedgerTransfer(
                        id: "settle:\(batch.batchId):\(index)", debitAccountId: receivable,
                        creditAccountId: paidAccount(payee: claim.payee, token: grant.asset), amount: amount - feeAmount,
                        code: "settlement"))
            }
            if feeAmount > 0 {
                transfers.append(
                    LedgerTransfer(
                        id: "fee:\(batch.batchId):\(index)", debitAccountId: receivable,
                        creditAccountId: feesAccount(grant.asset), amount: feeAmount, code: "fee"))
            }
            settled[receivable] = target
        }
        // In a refused linked batch the failing transfer carries the reason; the others only say they were linked.
        let rejections = ledger.apply(transfers, at: timestampSeconds, linked: true).compactMap { (result) -> LedgerRejection? in
            if case .rejected(let rejection) = result { rejection } else { nil }
        }
        if let rejection = rejections.first(where: { $0 != .linkedTransferFailed }) ?? rejections.first {
            return .failure(rejection)
        }
        return .success(targets)
    }
}
