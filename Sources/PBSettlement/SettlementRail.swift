import PBCore
import PBCrypto
import PBProtocol

/// One channel's claim in a settlement: pay the payee what the gateway charged on (grant, payee) beyond what an
/// earlier settlement already paid. The voucher is the payer's signed ceiling; a rail never pays above
/// `min(chargedCumulativeAmount, voucher.cumulativeAmount)` in total, so a replayed or stale claim pays nothing.
public struct SettlementClaim: Sendable, Hashable {
    public let grant: SignedSessionGrant
    public let voucher: SignedPaymentVoucher
    /// What the gateway charged on this channel in total (net of voids) when the claim was cut.
    public let chargedCumulativeAmount: UInt128
    /// What earlier confirmed settlements of this channel paid in total.
    public let settledCumulativeAmount: UInt128

    public init(
        grant: SignedSessionGrant, voucher: SignedPaymentVoucher, chargedCumulativeAmount: UInt128,
        settledCumulativeAmount: UInt128
    ) {
        precondition(settledCumulativeAmount <= chargedCumulativeAmount, "nothing is settled beyond what was charged")
        self.grant = grant
        self.voucher = voucher
        self.chargedCumulativeAmount = chargedCumulativeAmount
        self.settledCumulativeAmount = settledCumulativeAmount
    }

    public var payee: EthereumAddress { voucher.message.payee }
    public var grantId: Bytes32 { voucher.message.grantId }
    /// The new total this claim settles the channel to.
    public var targetCumulativeAmount: UInt128 { min(chargedCumulativeAmount, voucher.message.cumulativeAmount) }
    /// What this claim pays now.
    public var amountDue: UInt128 {
        targetCumulativeAmount > settledCumulativeAmount ? targetCumulativeAmount - settledCumulativeAmount : 0
    }
}

/// Claims settled together: one ledger transaction or one on-chain transaction. Its id is stable across retries and
/// restarts (the worker stores it before it asks the rail for anything), so a rail can recognise a batch it has seen.
public struct SettlementBatch: Sendable, Hashable {
    public let batchId: String
    public let claims: [SettlementClaim]

    public init(batchId: String, claims: [SettlementClaim]) {
        precondition(!claims.isEmpty, "a settlement batch settles at least one claim")
        self.batchId = batchId
        self.claims = claims
    }
}

/// What a rail prepared for a batch, stored by the worker BEFORE it is broadcast: after a crash the worker resends
/// exactly these bytes (the same signed transaction, hence the same hash and nonce), so nothing is paid twice.
public struct PreparedSettlement: Sendable, Hashable {
    public let batchId: String
    /// The rail's reference: a transaction hash (0x-hex) on the EVM rail, the ledger transaction id on the ledger.
    public let reference: String
    /// Rail-specific bytes to resend (a signed raw transaction); empty when the rail needs none.
    public let payload: [UInt8]

    public init(batchId: String, reference: String, payload: [UInt8]) {
        self.batchId = batchId
        self.reference = reference
        self.payload = payload
    }
}

/// Where a prepared settlement stands on its rail.
public enum SettlementStatus: Sendable, Hashable {
    /// Sent (or about to be) and not final yet.
    case pending
    /// Final: `settledCumulativeAmounts` is, per claim in batch order, the channel total the rail now holds as paid.
    case confirmed(settledCumulativeAmounts: [UInt128])
    /// Final failure: nothing of the batch was paid; the worker may cut a new batch (a new id) and retry.
    case failed(reason: String)
}

/// A settlement rail: the embedded double-entry ledger, or an EVM chain with the SessionKeyValidator contract.
/// The worker drives every batch through prepare -> (store) -> broadcast -> status, and may repeat `broadcast`
/// and `status` any number of times after a restart; implementations must make both idempotent.
public protocol SettlementRail: Sendable {
    /// "ledger" or "evm": recorded with every settlement.
    var name: String { get }
    /// The largest batch the rail takes (the contract takes at most 128 claims).
    var maximumClaimsPerBatch: Int { get }
    /// Builds (and on a chain signs, with its nonce) what settles `batch`. Must not move money yet.
    func prepare(_ batch: SettlementBatch) async throws -> PreparedSettlement
    /// Sends a prepared settlement. Sending the same one again is harmless ("already known" is success).
    func broadcast(_ prepared: PreparedSettlement, of batch: SettlementBatch) async throws
    /// Where a broadcast settlement stands.
    func status(of prepared: PreparedSettlement, of batch: SettlementBatch) async throws -> SettlementStatus
}
