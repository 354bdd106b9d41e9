/// A movement between two accounts. Immutable once created; its id makes it idempotent.
///
/// Two-phase transfers hold funds: `.pending` reserves the amount on both accounts (with an optional timeout),
/// then `.postPending` moves all or part of it and releases the rest, or `.voidPending` releases all of it. A hold
/// whose timeout passes is voided by `Ledger.expirePending(at:)`.
public struct LedgerTransfer: Sendable, Hashable, Codable {
    public enum Kind: Sendable, Hashable, Codable {
        case single
        case pending(timeoutSeconds: UInt64?)
        /// Posts `amount` (at most the pending amount) of the pending transfer `pendingId`; the rest is released.
        case postPending(pendingId: String)
        case voidPending(pendingId: String)
    }

    public let id: String
    public let debitAccountId: String
    public let creditAccountId: String
    public let amount: UInt128
    public let kind: Kind
    /// Seconds since 1970; set by the ledger when the transfer is created.
    public internal(set) var timestampSeconds: Int64
    /// A short machine-readable reason, e.g. `settlement` or `top-up`, for statements.
    public let code: String

    public init(
        id: String, debitAccountId: String, creditAccountId: String, amount: UInt128, kind: Kind = .single,
        code: String = ""
    ) {
        self.id = id
        self.debitAccountId = debitAccountId
        self.creditAccountId = creditAccountId
        self.amount = amount
        self.kind = kind
        self.timestampSeconds = 0
        self.code = code
    }

    /// The same request as `other`: what a retry must match for the ledger to answer `.exists`.
    func sameRequest(as other: LedgerTransfer) -> Bool {
        id == other.id && debitAccountId == other.debitAccountId && creditAccountId == other.creditAccountId
            && amount == other.amount && kind == other.kind && code == other.code
    }
}

/// Why a transfer was not applied; nothing of it was written.
public enum LedgerRejection: String, Error, Sendable, Hashable, Codable {
    case idReusedWithDifferentFields = "id_reused_with_different_fields"
    case accountNotFound = "account_not_found"
    case sameAccount = "same_account"
    case assetMismatch = "asset_mismatch"
    case zeroAmount = "zero_amount"
    case overflow
    case exceedsCredits = "exceeds_credits"
    case exceedsDebits = "exceeds_debits"
    case pendingNotFound = "pending_not_found"
    case pendingAlreadyPosted = "pending_already_posted"
    case pendingAlreadyVoided = "pending_already_voided"
    case pendingExpired = "pending_expired"
    case pendingAccountsDiffer = "pending_accounts_differ"
    case amountExceedsPending = "amount_exceeds_pending"
    case linkedTransferFailed = "linked_transfer_failed"
}

/// The answer to one transfer: created now, or already there (an idempotent retry), or rejected.
public enum LedgerResult: Sendable, Hashable {
    case created
    case exists
    case rejected(LedgerRejection)
}
