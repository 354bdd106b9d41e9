import PBCore
import PBPricing

/// When an account's balance runs out if its running sessions keep going as they are.
public enum DepletionForecast {
    /// Forecasts reach at most this far; a balance lasting longer has no depletion time.
    public static let horizonSeconds: Int64 = 366 * 86_400

    /// The instant the balance is spent if every active session of the account keeps running: time-metered ones at
    /// their plan's prices (the current rate, and the peak windows and tiers ahead), and reported usage at the pace
    /// it has had (`ReportedPace`). It is the last whole second, counted from `now`, whose total the balance still
    /// pays, found by exact search over whole base units (no division of money, no floating point). Nil when
    /// nothing is running or the balance outlasts `horizonSeconds`.
    ///
    /// `includingReported: false` forecasts time metering alone: what the store schedules ticks by, since
    /// reported usage is charged when it is reported, not at a tick.
    public static func depletionTime(
        of account: Account, sessions: [MeterSession], at now: UnixTime, includingReported: Bool = true
    ) throws(MeteringError) -> UnixTime? {
        let active = sessions.filter { $0.accountId == account.id && $0.isActive }
        let timed = try active.filter { $0.timeMetering != nil }
            .map { (session) throws(MeteringError) in try SessionUpdate(session: session, account: account) }
        let paces = includingReported ? active.compactMap { ReportedPace(session: $0, at: now) } : []
        guard !timed.isEmpty || !paces.isEmpty else { return nil }
        let balance = account.balance
        func cost(_ step: Int64) throws(MeteringError) -> Amount {
            var total = Amount.zero(of: account.asset)
            for update in timed {
                let start = update.session.meteredUntil
                let part = try update.cost(from: start, to: max(now, start).adding(seconds: step))
                total = try MeteringError.money { () throws(MoneyError) in try total.adding(part) }
            }
            for pace in paces {
                let part = Amount(baseUnits: pace.cost(afterSeconds: step), asset: account.asset)
                total = try MeteringError.money { () throws(MoneyError) in try total.adding(part) }
            }
            return total
        }
        guard try cost(horizonSeconds) > balance else { return nil }
        guard try cost(0) <= balance else { return now }
        let steps = try SessionUpdate.lastHolding(0...horizonSeconds) { (step) throws(MeteringError) in
            try cost(step) <= balance
        }
        return now.adding(seconds: steps)
    }
}

/// The pace of a session's reported usage: the whole base units its reported (non-time) charges came to, over
/// the session's life so far (from its start to now, pauses included, at least one second). The forecast assumes
/// that pace goes on: `spent × elapsed-ahead ÷ elapsed-so-far`, rounded down, in integers.
public struct ReportedPace: Hashable, Sendable {
    public let spentBaseUnits: UInt128
    public let elapsedMilliseconds: UInt128

    /// Nil when the session has no reported charges yet (nothing to extrapolate).
    public init?(session: MeterSession, at now: UnixTime) {
        var exact = ExactAmount.zero(decimals: session.plan.asset.decimals)
        for line in session.statementLines where !line.key.unit.isTime {
            guard let sum = try? exact.adding(line.exactAmount) else { return nil }
            exact = sum
        }
        guard let whole = try? exact.roundedDown().whole, !whole.isZero else { return nil }
        spentBaseUnits = whole.baseUnits
        elapsedMilliseconds = UInt128(max(1_000, now.milliseconds - session.startedAt.milliseconds))
    }

    /// What the next `seconds` cost at this pace; saturates instead of overflowing (a forecast only compares).
    public func cost(afterSeconds seconds: Int64) -> UInt128 {
        let (scaled, overflow) = spentBaseUnits.multipliedReportingOverflow(by: UInt128(max(0, seconds)) * 1_000)
        return overflow ? UInt128.max / 2 : scaled / elapsedMilliseconds
    }
}
