import PBCore
import PBPricing

/// What the merchant is told: stored with every change that causes it and delivered to the merchant's webhook.
public struct MeteringEvent: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// The session stopped; `reason` says why (`insufficient_funds` when the balance ran out).
        case sessionStopped = "session.stopped"
        /// A session stopped for insufficient funds runs again (after a top-up), or a paused one resumed.
        case sessionResumed = "session.resumed"
        /// The account's balance fell to or below its low-balance threshold.
        case accountLowBalance = "account.low_balance"
    }

    /// The store's sequence number, 0 until stored; the public id is `evt_<sequence>`.
    public var sequence: Int64
    public let kind: Kind
    public let accountId: String
    public let sessionId: String?
    public let at: UnixTime
    /// The account's balance when the event happened.
    public let balance: Amount
    public let threshold: Amount?
    public let reason: StopReason?

    public init(
        sequence: Int64 = 0, kind: Kind, accountId: String, sessionId: String?, at: UnixTime, balance: Amount,
        threshold: Amount? = nil, reason: StopReason? = nil
    ) {
        self.sequence = sequence
        self.kind = kind
        self.accountId = accountId
        self.sessionId = sessionId
        self.at = at
        self.balance = balance
        self.threshold = threshold
        self.reason = reason
    }

    public var id: String { "evt_\(sequence)" }
}

/// A usage event the merchant reports: idempotent by `id` within its session.
public struct ReportedUsage: Hashable, Sendable {
    public let id: String
    public let at: UnixTime
    /// Units and quantities (counts; milliseconds for time units). `priorQuantity` is ignored: the session knows
    /// how much of each unit came before.
    public let quantities: [UsageQuantity]
    public let dimensions: [String: String]

    public init(id: String, at: UnixTime, quantities: [UsageQuantity], dimensions: [String: String] = [:]) {
        self.id = id
        self.at = at
        self.quantities = quantities
        self.dimensions = dimensions
    }
}

/// A stored usage event: what was reported and the whole base units it collected (the carried rest stays with the
/// session).
public struct RecordedUsage: Hashable, Sendable {
    public let sessionId: String
    public let usage: ReportedUsage
    public let collected: Amount

    public init(sessionId: String, usage: ReportedUsage, collected: Amount) {
        self.sessionId = sessionId
        self.usage = usage
        self.collected = collected
    }
}
