import PBCore
import PBPricing

/// One change to a session and its account, computed as a pure function of their state, the clock's `now` and the
/// input: the store reads both inside one transaction, applies this, and writes the result, checking that the
/// account lost exactly what the session charged (`debited`).
///
/// The rules (docs/METERING.md):
/// - Time metering charges in arrears, in whole seconds from `meteredUntil`, whenever the session is advanced (the
///   gateway does it at `nextDueAt`). The span is cut at the exact second the low-balance mark is crossed (the
///   event carries that instant) and at the last second the balance can pay: there the session stops with
///   `insufficient_funds`, at that second, with the balance spent down to what one more second would exceed.
/// - Solvency: after every advance the balance must pay the next second; otherwise the session stops now.
/// - Reported usage is priced in order, each event along the session's cumulative quantities; an event the
///   balance cannot pay is refused and stops the session (it and later events are not recorded).
/// - Pausing charges up to now and stops accrual; resuming (or a top-up, for `insufficient_funds`) restarts the
///   clock at the resume instant. `completed` and `cancelled` are final.
public struct SessionUpdate: Sendable {
    public private(set) var session: MeterSession
    public private(set) var account: Account
    /// Whole base units moved from the account to the session by this update.
    public private(set) var debited: Amount
    public private(set) var events: [MeteringEvent] = []
    public private(set) var recorded: [RecordedUsage] = []
    /// Reported event ids already stored: skipped, nothing charged.
    public private(set) var duplicates: [String] = []
    /// Reported event ids not recorded because the balance could not pay them.
    public private(set) var refused: [String] = []
    /// For a grant-funded session, when its funding ends other than by the balance (set by the store from the
    /// grant and the channel): nothing after it is charged, and an advance past it stops the session there.
    public var fundingEnd: FundingEnd?
    /// The latest instant a transition of this update was made at: the store's "now" for rescheduling the
    /// account's other sessions.
    public private(set) var time: UnixTime?

    public init(session: MeterSession, account: Account, fundingEnd: FundingEnd? = nil) throws(MeteringError) {
        guard session.accountId == account.id, session.plan.asset == account.asset else {
            throw .invalid("accountId", "session \(session.id) is paid from \(session.accountId), not \(account.id)")
        }
        self.session = session
        self.account = account
        self.fundingEnd = fundingEnd
        debited = .zero(of: account.asset)
    }

    /// A new session's first update: refused with `insufficientFunds` when the balance cannot pay its first second
    /// (or is empty, for a session of reported usage only) or its funding has ended.
    public static func start(_ session: MeterSession, account: Account, fundingEnd: FundingEnd? = nil)
        throws(MeteringError) -> SessionUpdate
    {
        let update = try SessionUpdate(session: session, account: account, fundingEnd: fundingEnd)
        if let fundingEnd, fundingEnd.at <= session.startedAt.adding(seconds: 1) {
            throw .insufficientFunds("the session's funding ends at its start: \(fundingEnd.reason.rawValue)")
        }
        guard try update.isSolvent(at: session.startedAt) else {
            throw .insufficientFunds("the balance \(account.balance.decimalString) of account \(account.id) cannot pay the session's first second")
        }
        return update
    }

    // MARK: Transitions

    /// Charges time metering up to `now` (see the type's rules). Does nothing unless the session is active and
    /// time-metered.
    public mutating func advance(to now: UnixTime) throws(MeteringError) {
        time = max(time ?? now, now)
        if let fundingEnd, session.isActive, fundingEnd.at < now {
            // Charge up to the end of the funding (never after it) when it still pays, then stop there.
            let end = max(fundingEnd.at, session.meteredUntil)
            if fundingEnd.paysUntilEnd { try advanceTime(to: end) }
            if session.isActive { markStopped(fundingEnd.reason, at: end) }
            return
        }
        try advanceTime(to: now)
    }

    private mutating func advanceTime(to now: UnixTime) throws(MeteringError) {
        guard session.timeMetering != nil else { return }
        while session.isActive, session.meteredUntil < now {
            let start = session.meteredUntil
            let steps = (now.milliseconds - start.milliseconds + 999) / 1000
            let position = { (step: Int64) in UnixTime(milliseconds: min(start.milliseconds + step * 1000, now.milliseconds)) }
            let balance = account.balance
            let runsOut = try cost(from: start, to: now) > balance
            var endStep = steps
            if runsOut {
                endStep = try Self.lastHolding(0...steps) { (step) throws(MeteringError) in
                    try cost(from: start, to: position(step)) <= balance
                }
            }
            if account.lowBalanceArmed, endStep > 0 {
                let drop = (try? balance.subtracting(account.lowBalanceThreshold)) ?? .zero(of: account.asset)
                if try cost(from: start, to: position(endStep)) >= drop {
                    let crossing = try Self.firstHolding(1...endStep) { (step) throws(MeteringError) in
                        try cost(from: start, to: position(step)) >= drop
                    }
                    try chargeTime(from: start, to: position(crossing))
                    continue
                }
            }
            try chargeTime(from: start, to: position(endStep))
            if runsOut {
                markStopped(.insufficientFunds, at: position(endStep))
                return
            }
        }
        if session.isActive, try !isSolvent(at: now) { markStopped(.insufficientFunds, at: now) }
    }

    /// Charges up to `now`, then stops accrual. Pausing a paused session does nothing.
    public mutating func pause(at now: UnixTime) throws(MeteringError) {
        time = max(time ?? now, now)
        switch session.state {
        case .paused: return
        case .stopped: throw .conflict("session \(session.id) is \(session.state); only an active session can be paused")
        case .active:
            try advance(to: now)
            guard session.isActive else { return }
            session.state = .paused
            session.updatedAt = now
        }
    }

    /// Runs a paused session, or one stopped for a resumable reason, again from `now`; refused with
    /// `insufficientFunds` (nothing changed) when the balance cannot pay the next second or the funding has ended.
    public mutating func resume(at now: UnixTime) throws(MeteringError) {
        time = max(time ?? now, now)
        switch session.state {
        case .active: return
        case .stopped(let reason) where !reason.isResumable:
            throw .conflict("session \(session.id) is \(session.state), which is final")
        case .paused, .stopped:
            if let fundingEnd, fundingEnd.at <= now.adding(seconds: 1) {
                throw .insufficientFunds("session \(session.id)'s funding has ended: \(fundingEnd.reason.rawValue)")
            }
            guard try isSolvent(at: now) else {
                throw .insufficientFunds("the balance \(account.balance.decimalString) cannot pay the next second of session \(session.id)")
            }
            session.state = .active
            session.meteredUntil = now
            session.stoppedAt = nil
            session.updatedAt = now
            events.append(event(.sessionResumed, at: now))
        }
    }

    /// After a top-up: resumes the session if it stopped for insufficient funds and the balance can pay again.
    @discardableResult
    public mutating func resumeIfFunded(at now: UnixTime) throws(MeteringError) -> Bool {
        guard let reason = session.state.stopReason, reason.isResumable, fundingEnd.map({ $0.at > now.adding(seconds: 1) }) ?? true,
            try isSolvent(at: now)
        else { return false }
        try resume(at: now)
        return true
    }

    /// Charges up to `now` and stops for good with `reason` (`completed` or `cancelled`). A session stopped for
    /// insufficient funds can be stopped for good too; its accrual ended when it stopped.
    public mutating func stop(_ reason: StopReason, at now: UnixTime) throws(MeteringError) {
        time = max(time ?? now, now)
        guard reason != .insufficientFunds else { throw .invalid("reason", "is completed or cancelled") }
        switch session.state {
        case .stopped(let stopped) where !stopped.isResumable:
            throw .conflict("session \(session.id) is already \(session.state)")
        case .active: try advance(to: now)
        case .paused, .stopped: break
        }
        markStopped(reason, at: session.stoppedAt ?? now)
    }

    /// Records reported usage in order (see the type's rules). Ids in `alreadyRecorded` are duplicates: skipped.
    /// A pricing failure names the event (`events[3]`) and fails the whole update, so nothing is recorded.
    public mutating func record(_ usages: [ReportedUsage], alreadyRecorded: Set<String>, at now: UnixTime)
        throws(MeteringError)
    {
        try advance(to: now)
        for (index, usage) in usages.enumerated() {
            if alreadyRecorded.contains(usage.id) {
                duplicates.append(usage.id)
                continue
            }
            switch session.state {
            case .active: break
            case .stopped(let reason) where reason.isResumable:
                refused.append(usage.id)
                continue
            default: throw .conflict("session \(session.id) is \(session.state): usage cannot be recorded")
            }
            let quantities = usage.quantities.map {
                UsageQuantity(unit: $0.unit, quantity: $0.quantity, priorQuantity: session.meteredQuantities[$0.unit.name] ?? 0)
            }
            var carrier = session.carrier
            let charge: Charge, collected: Amount
            do throws(PricingError) {
                charge = try session.plan.charge(UsageEvent(at: usage.at, quantities: quantities, dimensions: usage.dimensions))
                collected = try carrier.collect(charge)
            } catch { throw .pricing(error, field: "events[\(index)]") }
            guard collected <= account.balance else {
                refused.append(usage.id)
                markStopped(.insufficientFunds, at: now)
                continue
            }
            try apply(charge, carrier: carrier, collected: collected, at: now)
            for quantity in usage.quantities { try addMetered(quantity.quantity, of: quantity.unit) }
            session.usageEventCount += 1
            recorded.append(RecordedUsage(sessionId: session.id, usage: usage, collected: collected))
        }
    }

    // MARK: Solvency

    /// Whether the account can pay the session's next second: a non-empty balance and, for time metering, the whole
    /// base units that second would collect.
    public func isSolvent(at now: UnixTime) throws(MeteringError) -> Bool {
        guard !account.balance.isZero else { return false }
        guard session.timeMetering != nil else { return true }
        return try cost(from: now, to: now.adding(seconds: 1)) <= account.balance
    }

    /// When the gateway should next advance the session: the end of its interval, or earlier, the second the
    /// low-balance mark is crossed or the last second the balance pays. Nil unless active and time-metered.
    public func nextDueAt() throws(MeteringError) -> UnixTime? {
        guard session.isActive, let metering = session.timeMetering else { return nil }
        let start = session.meteredUntil
        let position = { (step: Int64) in start.adding(seconds: step) }
        let balance = account.balance
        var due = metering.intervalSeconds
        if try cost(from: start, to: position(due)) > balance {
            let affordable = try Self.lastHolding(0...due) { (step) throws(MeteringError) in
                try cost(from: start, to: position(step)) <= balance
            }
            due = max(1, affordable)
        }
        if account.lowBalanceArmed {
            let drop = (try? balance.subtracting(account.lowBalanceThreshold)) ?? .zero(of: account.asset)
            if try cost(from: start, to: position(due)) >= drop {
                due = try Self.firstHolding(1...due) { (step) throws(MeteringError) in
                    try cost(from: start, to: position(step)) >= drop
                }
            }
        }
        // A known end of the funding (an expiry) is met exactly; a freeze is seen at the next tick.
        if let fundingEnd, fundingEnd.at < position(due) { return max(fundingEnd.at, start) }
        return position(due)
    }

    /// The whole base units that charging time metering over `[start, end)` would collect now, with the carried
    /// rest: monotone in `end`, which is what the searches rely on.
    func cost(from start: UnixTime, to end: UnixTime) throws(MeteringError) -> Amount {
        try timeCharge(from: start, to: end).collected
    }

    // MARK: Applying charges

    private func timeCharge(from start: UnixTime, to end: UnixTime) throws(MeteringError)
        -> (charge: Charge, carrier: ChargeCarrier, collected: Amount)
    {
        guard let metering = session.timeMetering else { throw .invalid("metering", "the session is not time-metered") }
        var carrier = session.carrier
        do throws(PricingError) {
            let event = try UsageEvent.interval(
                from: start, to: end, pricedPer: metering.unit,
                priorMilliseconds: session.meteredQuantities[metering.unit.name] ?? 0, dimensions: metering.dimensions)
            let charge = try session.plan.charge(event)
            let collected = try carrier.collect(charge)
            return (charge, carrier, collected)
        } catch { throw .pricing(error) }
    }

    private mutating func chargeTime(from start: UnixTime, to end: UnixTime) throws(MeteringError) {
        guard end > start, let metering = session.timeMetering else { return }
        let (charge, carrier, collected) = try timeCharge(from: start, to: end)
        try apply(charge, carrier: carrier, collected: collected, at: end)
        try addMetered(UInt64(end.milliseconds - start.milliseconds), of: metering.unit)
        session.meteredUntil = end
    }

    private mutating func apply(_ charge: Charge, carrier: ChargeCarrier, collected: Amount, at time: UnixTime)
        throws(MeteringError)
    {
        let crossed = try account.debit(collected, at: time)
        debited = try MeteringError.money { () throws(MoneyError) in try debited.adding(collected) }
        session.carrier = carrier
        try session.addToStatement(charge)
        session.updatedAt = time
        if crossed { events.append(event(.accountLowBalance, at: time, threshold: account.lowBalanceThreshold)) }
    }

    private mutating func addMetered(_ quantity: UInt64, of unit: PricingUnit) throws(MeteringError) {
        let (sum, overflow) = (session.meteredQuantities[unit.name] ?? 0).addingReportingOverflow(quantity)
        guard !overflow else { throw .overflow }
        session.meteredQuantities[unit.name] = sum
    }

    private mutating func markStopped(_ reason: StopReason, at time: UnixTime) {
        session.state = .stopped(reason)
        session.stoppedAt = time
        session.updatedAt = time
        events.append(event(.sessionStopped, at: time, reason: reason))
    }

    private func event(
        _ kind: MeteringEvent.Kind, at time: UnixTime, threshold: Amount? = nil, reason: StopReason? = nil
    ) -> MeteringEvent {
        MeteringEvent(
            kind: kind, accountId: account.id, sessionId: session.id, at: time, balance: account.balance,
            threshold: threshold, reason: reason)
    }

    // MARK: Searches over whole seconds

    /// The largest step in `range` where `holds` is true, for a predicate that is true at the lower bound and, once
    /// false, stays false.
    static func lastHolding(_ range: ClosedRange<Int64>, _ holds: (Int64) throws(MeteringError) -> Bool)
        throws(MeteringError) -> Int64
    {
        var low = range.lowerBound, high = range.upperBound
        if try holds(high) { return high }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if try holds(middle) { low = middle } else { high = middle }
        }
        return low
    }

    /// The smallest step in `range` where `holds` is true, for a predicate that is true at the upper bound and, once
    /// true, stays true: one past the last step where it is still false.
    static func firstHolding(_ range: ClosedRange<Int64>, _ holds: (Int64) throws(MeteringError) -> Bool)
        throws(MeteringError) -> Int64
    {
        if try holds(range.lowerBound) { return range.lowerBound }
        return try lastHolding(range) { (step) throws(MeteringError) in try !holds(step) } + 1
    }
}
