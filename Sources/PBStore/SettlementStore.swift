import PBCore
import PBCrypto
import PBProtocol
import PBSettlement

/// Where a stored settlement stands: `due` (recorded, not prepared yet), `submitted` (the rail's prepared settlement
/// is stored and may have been broadcast), then `confirmed` or `failed`, both final. A failed settlement is retried
/// as a new settlement with a new batch id.
public enum SettlementState: String, Sendable, Hashable, CaseIterable, Codable {
    case due, submitted, confirmed, failed

    public var isOpen: Bool { self == .due || self == .submitted }
}

/// One claim of a stored settlement: enough to rebuild the `SettlementClaim` after a restart.
public struct StoredSettlementClaim: Sendable, Hashable {
    public let channel: ChannelKey
    public let grant: SignedSessionGrant
    public let voucher: SignedPaymentVoucher
    public let chargedCumulativeAmount: UInt128
    public let settledCumulativeAmount: UInt128
    /// The channel total this claim settles to: min(charged, voucher cumulative).
    public let targetCumulativeAmount: UInt128
    /// The channel total the rail reported as paid when the settlement was confirmed.
    public var confirmedCumulativeAmount: UInt128?

    public init(_ claim: SettlementClaim, confirmedCumulativeAmount: UInt128? = nil) {
        channel = ChannelKey(grantId: claim.grantId, payee: claim.payee)
        grant = claim.grant
        voucher = claim.voucher
        chargedCumulativeAmount = claim.chargedCumulativeAmount
        settledCumulativeAmount = claim.settledCumulativeAmount
        targetCumulativeAmount = claim.targetCumulativeAmount
        self.confirmedCumulativeAmount = confirmedCumulativeAmount
    }

    /// The claim as the rail takes it.
    public var claim: SettlementClaim {
        SettlementClaim(
            grant: grant, voucher: voucher, chargedCumulativeAmount: chargedCumulativeAmount,
            settledCumulativeAmount: settledCumulativeAmount)
    }

    /// What the claim asked the rail to pay.
    public var amountDue: UInt128 {
        targetCumulativeAmount > settledCumulativeAmount ? targetCumulativeAmount - settledCumulativeAmount : 0
    }
}

/// A settlement as stored: its batch, its state and what the rail prepared for it.
public struct SettlementRecord: Sendable, Hashable {
    public let batchId: String
    public let rail: String
    public var state: SettlementState
    public let reasons: [SettlementDueReason]
    public let claims: [StoredSettlementClaim]
    /// The rail's reference (a transaction hash, a ledger batch) and the bytes to resend, once prepared.
    public var prepared: PreparedSettlement?
    /// Which attempt of its channels this is (1 for the first).
    public let attempt: Int
    public var failureReason: String?
    public let createdAt: UnixTime
    public var updatedAt: UnixTime

    public init(
        batchId: String, rail: String, state: SettlementState = .due, reasons: [SettlementDueReason],
        claims: [StoredSettlementClaim], prepared: PreparedSettlement? = nil, attempt: Int = 1,
        failureReason: String? = nil, createdAt: UnixTime, updatedAt: UnixTime? = nil
    ) {
        self.batchId = batchId
        self.rail = rail
        self.state = state
        self.reasons = reasons
        self.claims = claims
        self.prepared = prepared
        self.attempt = attempt
        self.failureReason = failureReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The batch as the rail takes it, rebuilt exactly after a restart.
    public var batch: SettlementBatch { SettlementBatch(batchId: batchId, claims: claims.map(\.claim)) }

    /// What the settlement pays in total, in base units.
    public var totalAmountDue: UInt128 { claims.reduce(0) { $0 &+ $1.amountDue } }
}

/// A channel with charges not yet settled and no settlement open on it: what the accumulator judges.
public struct SettlementCandidate: Sendable, Hashable {
    public let grant: GrantRecord
    public let channel: ChannelRecord
    public let settledCumulativeAmount: UInt128
    /// The oldest charged payment beyond what is settled; nil when none is found (all voided, say).
    public let oldestUnsettledChargeAt: UnixTime?
    /// Consecutive failed settlements of this channel.
    public let failedAttempts: Int

    public init(
        grant: GrantRecord, channel: ChannelRecord, settledCumulativeAmount: UInt128, oldestUnsettledChargeAt: UnixTime?,
        failedAttempts: Int
    ) {
        self.grant = grant
        self.channel = channel
        self.settledCumulativeAmount = settledCumulativeAmount
        self.oldestUnsettledChargeAt = oldestUnsettledChargeAt
        self.failedAttempts = failedAttempts
    }
}

/// A channel's charged and settled totals, for audits (`pb ledger check`).
public struct ChannelSettlementState: Sendable, Hashable {
    public let channel: ChannelKey
    public let chargedCumulativeAmount: UInt128
    public let settledCumulativeAmount: UInt128
    /// The open settlement the channel is in, if any.
    public let openBatchId: String?

    public init(channel: ChannelKey, chargedCumulativeAmount: UInt128, settledCumulativeAmount: UInt128, openBatchId: String?) {
        self.channel = channel
        self.chargedCumulativeAmount = chargedCumulativeAmount
        self.settledCumulativeAmount = settledCumulativeAmount
        self.openBatchId = openBatchId
    }
}

/// The accumulator's and the settlement worker's storage (docs/SETTLEMENT.md). Every method that changes a
/// settlement is one transaction; a channel is in at most one open (due or submitted) settlement at a time, and
/// its settled amount only rises, and only when a settlement of it is confirmed.
public protocol SettlementStore: Sendable {
    /// Channels with a voucher, charged above settled, no open settlement, not parked and not waiting for a retry
    /// at `time`; at most `limit` (1...1000).
    func settlementCandidates(at time: UnixTime, limit: Int) async throws -> [SettlementCandidate]
    /// Every channel's charged and settled totals, ordered by channel, starting after `cursor`; at most `limit`
    /// (1...1000) per page.
    func channelSettlementStates(after cursor: ChannelKey?, limit: Int) async throws -> [ChannelSettlementState]
    /// The settled total of a channel (0 when never settled).
    func settledCumulativeAmount(_ channel: ChannelKey) async throws -> UInt128
    /// Records a new settlement in state `due` and marks its channels as in it. A `StoreError` (nothing written)
    /// when the id is taken, the record is not `due`, or a channel is already in an open settlement.
    func createSettlement(_ record: SettlementRecord) async throws
    /// `due` -> `submitted` with what the rail prepared. Returns the updated record; a `StoreError` from any other
    /// state (a second prepare of the same settlement would be a second transaction on a chain).
    func recordPrepared(_ prepared: PreparedSettlement, at time: UnixTime) async throws -> SettlementRecord
    /// `submitted` -> `confirmed`: raises each channel's settled amount to what the rail reported (never lowers
    /// it), frees the channels, and counts a claim the rail paid less than its target as a failed attempt of its
    /// channel (retried at `retryAt`, parked when nil). Confirming a confirmed settlement again changes nothing.
    func confirmSettlement(
        _ batchId: String, settledCumulativeAmounts: [UInt128], at time: UnixTime,
        retryAt: @Sendable (_ failedAttempts: Int) -> UnixTime?
    ) async throws -> SettlementRecord
    /// `due` or `submitted` -> `failed`: frees the channels; each counts one more failed attempt, retried at
    /// `retryAt(failedAttempts)` or parked when it answers nil. Failing a failed settlement again changes nothing.
    func failSettlement(
        _ batchId: String, reason: String, at time: UnixTime, retryAt: @Sendable (_ failedAttempts: Int) -> UnixTime?
    ) async throws -> SettlementRecord
    func settlement(_ batchId: String) async throws -> SettlementRecord?
    /// Settlements in `states`, oldest first, at most `limit` (1...500).
    func settlements(in states: Set<SettlementState>, limit: Int) async throws -> [SettlementRecord]
}
