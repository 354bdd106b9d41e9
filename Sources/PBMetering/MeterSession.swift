import PBCore
import PBPricing

/// Why a session stopped. `insufficientFunds` resumes by a top-up (or a new voucher, for a grant) and
/// `grantFrozen` when the grant is unfrozen; the others are final.
public enum StopReason: String, Hashable, Sendable, CaseIterable {
    case completed
    case insufficientFunds = "insufficient_funds"
    case cancelled
    /// The session key's grant was frozen (Sentinel, the owner or the merchant).
    case grantFrozen = "grant_frozen"
    case grantRevoked = "grant_revoked"
    case grantExpired = "grant_expired"

    /// Whether the session can run again after stopping for this reason.
    public var isResumable: Bool { self == .insufficientFunds || self == .grantFrozen }
}

public enum SessionState: Hashable, Sendable, CustomStringConvertible {
    case active
    /// No accrual until resumed.
    case paused
    case stopped(StopReason)

    public var name: String {
        switch self {
        case .active: "active"
        case .paused: "paused"
        case .stopped: "stopped"
        }
    }

    public var stopReason: StopReason? {
        if case .stopped(let reason) = self { return reason }
        return nil
    }

    /// `active`, `paused`, `stopped: insufficient_funds`: what the merchant's middleware reads.
    public var description: String { stopReason.map { "stopped: \($0.rawValue)" } ?? name }

    public init(name: String, reason: String?) throws(MeteringError) {
        switch (name, reason.flatMap(StopReason.init(rawValue:))) {
        case ("active", nil): self = .active
        case ("paused", nil): self = .paused
        case ("stopped", .some(let stopReason)): self = .stopped(stopReason)
        default: throw .invalid("state", "'\(name)' with reason '\(reason ?? "")' is not a session state")
        }
    }
}

/// Time the gateway meters by itself: `unit` (second, minute or hour, priced by the plan) from the session's start,
/// charged every `intervalSeconds` (and at the exact second the balance runs out or crosses its low mark).
public struct TimeMetering: Hashable, Sendable {
    public static let intervalRange: ClosedRange<Int64> = 1...86_400

    public let unit: PricingUnit
    public let intervalSeconds: Int64
    /// Dimension values selecting per-dimension prices (`gpu=H100`).
    public let dimensions: [String: String]

    public init(unit: PricingUnit, intervalSeconds: Int64 = 60, dimensions: [String: String] = [:])
        throws(MeteringError)
    {
        guard unit.isTime else { throw .invalid("metering.unit", "'\(unit)' is not a time unit (second, minute, hour)") }
        guard Self.intervalRange.contains(intervalSeconds) else {
            throw .invalid("metering.intervalSeconds", "must be 1...86400")
        }
        self.unit = unit
        self.intervalSeconds = intervalSeconds
        self.dimensions = dimensions
    }
}

/// A stream session: a payer's account, a service and a price plan, metered by time (`timeMetering`), by usage
/// the merchant reports, or both. `SessionUpdate` moves it between states; nothing else changes it.
///
/// `carrier` holds what has been collected in whole base units and the sub-unit rest carried into the next charge
/// (docs/MONEY.md: round down per charge, carry the remainder). At the stop the rest, below one base unit, is left
/// uncollected: the payer never pays for a fraction of a base unit.
public struct MeterSession: Hashable, Sendable {
    public let id: String
    public let accountId: String
    /// Set when a session key's grant pays instead of a prepaid account; `accountId` is then its view account.
    public let funding: GrantFunding?
    public let service: String
    public let plan: PricePlan
    public let timeMetering: TimeMetering?
    public internal(set) var state: SessionState
    public let startedAt: UnixTime
    public internal(set) var updatedAt: UnixTime
    public internal(set) var stoppedAt: UnixTime?
    /// Time metering has charged every millisecond before this instant (while active).
    public internal(set) var meteredUntil: UnixTime
    /// Cumulative metered quantity per unit name (milliseconds for time units): the prior usage that graduated
    /// tiers, packages and free units continue from.
    public internal(set) var meteredQuantities: [String: UInt64]
    public internal(set) var carrier: ChargeCarrier
    /// The charges' lines, merged by rule (see `StatementLine`).
    public internal(set) var statementLines: [StatementLine]
    public internal(set) var usageEventCount: UInt64

    /// Whole base units charged so far (debited from the account).
    public var charged: Amount { carrier.charged }

    /// A new active session for `account`; validates the names, the plan's asset and, for time metering, that the
    /// plan prices the metered unit. Solvency is checked by `SessionUpdate.start`.
    public init(
        id: String, account: Account, service: String, plan: PricePlan, timeMetering: TimeMetering?,
        funding: GrantFunding? = nil, at time: UnixTime
    ) throws(MeteringError) {
        try MeteringName.validate(id, field: "id")
        guard GrantFunding.isGrantAccount(account.id) == (funding != nil), funding.map({ $0.accountId == account.id }) ?? true
        else { throw .invalid("accountId", "account \(account.id) is not the session's funding") }
        try MeteringName.validate(service, field: "service")
        guard plan.asset == account.asset else {
            throw .invalid("plan.asset", "the plan is priced in \(plan.asset.symbol), the account holds \(account.asset.symbol)")
        }
        if let timeMetering {
            do throws(PricingError) { _ = try plan.price(of: timeMetering.unit, dimensions: timeMetering.dimensions) } catch {
                throw .pricing(error, field: "metering.unit")
            }
        }
        self.init(
            id: id, accountId: account.id, funding: funding, service: service, plan: plan, timeMetering: timeMetering, state: .active,
            startedAt: time, updatedAt: time, stoppedAt: nil, meteredUntil: time, meteredQuantities: [:],
            carrier: ChargeCarrier(asset: plan.asset), statementLines: [], usageEventCount: 0)
    }

    /// Every field as stored; for stores restoring a session.
    public init(
        id: String, accountId: String, funding: GrantFunding? = nil, service: String, plan: PricePlan,
        timeMetering: TimeMetering?, state: SessionState, startedAt: UnixTime, updatedAt: UnixTime, stoppedAt: UnixTime?, meteredUntil: UnixTime,
        meteredQuantities: [String: UInt64], carrier: ChargeCarrier, statementLines: [StatementLine],
        usageEventCount: UInt64
    ) {
        self.id = id
        self.accountId = accountId
        self.funding = funding
        self.service = service
        self.plan = plan
        self.timeMetering = timeMetering
        self.state = state
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.stoppedAt = stoppedAt
        self.meteredUntil = meteredUntil
        self.meteredQuantities = meteredQuantities
        self.carrier = carrier
        self.statementLines = statementLines
        self.usageEventCount = usageEventCount
    }

    public var isActive: Bool { state == .active }

    /// The exact value of every charge so far: whole units charged plus the carried rest.
    public var exactTotal: ExactAmount {
        (try? ExactAmount(charged).adding(carrier.remainder)) ?? carrier.remainder
    }

    /// Adds a charge's lines to the statement, merging lines of the same rule.
    mutating func addToStatement(_ charge: Charge) throws(MeteringError) {
        for line in charge.lines {
            let key = StatementLine.Key(line)
            if let index = statementLines.firstIndex(where: { $0.key == key }) {
                try statementLines[index].add(line)
            } else {
                statementLines.append(StatementLine(line))
            }
        }
    }
}
