import PBCore

/// One condition of a rule, validated. Money is in base units (`UInt128`) and fractions and multiples in
/// millionths, compared exactly in integers; only the z-score thresholds are `Double`, because z-scores are
/// statistics of logarithms, not money.
public enum RuleCondition: Sendable, Hashable {
    /// The payment's amount is above this many base units.
    case amountAbove(UInt128)
    /// The amount is above `multipleMillionths / 10^6` times the mean of the key's last allowed amounts (the rolling
    /// window holds `RiskEngineLimits.rollingAmountCount`), once the key has `minimumHistory` of them.
    case amountVsAverage(multipleMillionths: UInt128, minimumHistory: Int)
    /// More than `above` calls (this one included) in the sliding `window`, for the key or for all its owner's keys.
    case calls(scope: RuleScope, window: RuleWindow, above: UInt64)
    /// More than `above` base units spent (this payment included) in the sliding `window`.
    case spend(scope: RuleScope, window: RuleWindow, above: UInt128)
    /// The key's spend in `window` (this payment included) is above `millionths / 10^6` of the grant's total limit:
    /// the budget's burn rate, which needs no history (a key a day old is judged like one a year old).
    case spendOfLimit(window: RuleWindow, millionths: UInt128)
    /// Calls in `window` (this one included), as a rate, above `multipleMillionths / 10^6` times the rate over the
    /// longer `baseline` window; only judged once the key or owner has been seen for the whole baseline.
    case callsVsBaseline(scope: RuleScope, window: RuleWindow, baseline: RuleWindow, multipleMillionths: UInt128)
    /// The same for spend.
    case spendVsBaseline(scope: RuleScope, window: RuleWindow, baseline: RuleWindow, multipleMillionths: UInt128)
    /// After this payment the grant has less than `millionths / 10^6` of its total limit left.
    case remainingFractionBelow(millionths: UInt128)
    /// The key has not paid this payee before, after at least `minimumHistory` payments (so a new key's first
    /// payees are not all "new").
    case newPayee(minimumHistory: Int)
    /// The same for the service id.
    case newService(minimumHistory: Int)
    /// The key has made fewer than `seenFewerThan` allowed payments from this client IP (among the last
    /// `RiskEngineSettings.rememberedClientIPCount` addresses), after at least `minimumHistory` payments; a payment
    /// without a known IP never matches. A stolen key is usually used from somewhere else, and an address stays
    /// "new" for its first few payments so that a drain from it is still judged as coming from a new place.
    case newClientIP(minimumHistory: Int, seenFewerThan: Int)
    /// The payment happens inside a local time-of-day range.
    case timeOfDay(TimeOfDayRange)
    /// The client IP is (or is not) inside one of the ranges; a payment without a known IP never matches.
    case clientIP(IPAddressMatch)
    /// The payment's amount is more than `above` robust or classic standard deviations above the key's usual amount
    /// (in logarithms), once `minimumHistory` amounts were seen. With `recent` n > 1 it is the mean of this amount
    /// and the n - 1 before it that is judged (its deviation shrinks by sqrt(n)): a sustained shift, such as a
    /// drain at 3x the usual price, stands out where no single payment does.
    case amountZScore(above: Double, estimator: Estimator, minimumHistory: Int, recent: Int)
    /// The time since the key's previous payment is more than `below` (a negative number) deviations under the
    /// usual gap (in logarithms): calls arriving much faster than this key ever sends them. `recent` as above.
    case interArrivalZScore(below: Double, estimator: Estimator, minimumHistory: Int, recent: Int)
    /// More than `above` payments of the key refused by the gateway's own checks (replays, bad signatures,
    /// exhausted limits) in the sliding `window`. Judged on refusals as well as on payments.
    case refusals(window: RuleWindow, above: UInt64)

    /// Conditions about the payment itself cannot hold for a refusal, which carries no amount or payee.
    var needsPayment: Bool {
        switch self {
        case .refusals, .timeOfDay, .clientIP: false
        default: true
        }
    }
}

/// Whose activity a velocity condition counts.
public enum RuleScope: String, Sendable, Hashable, Codable, CaseIterable {
    /// The session key (grant) that pays.
    case key
    /// Every key of the payment's owner together: catches a spend fanned out over many keys, each under its caps.
    case owner
}

/// Which estimator a z-score uses.
public enum Estimator: String, Sendable, Hashable, Codable, CaseIterable {
    /// Welford's running mean and variance: exact over the whole history, but one extreme value moves it.
    case welford
    /// Median and MAD of the last values: robust to a few outliers (an attacker cannot drag it with a few payments).
    case robust
}

/// A sliding window's length: whole seconds up to a minute, whole minutes up to an hour, whole hours up to a day,
/// which is what the per-second, per-minute and per-hour buckets of `ActivityWindows` can sum exactly.
public struct RuleWindow: Sendable, Hashable, CustomStringConvertible {
    public let seconds: Int64

    public init(seconds: Int64) throws(SentinelError) {
        let expressible =
            (1...60).contains(seconds) || ((61...3_600).contains(seconds) && seconds % 60 == 0)
            || ((3_601...86_400).contains(seconds) && seconds % 3_600 == 0)
        guard expressible else {
            throw .invalid(nil, "window of \(seconds) s: use 1-60 s, whole minutes up to 60m, or whole hours up to 24h")
        }
        self.seconds = seconds
    }

    /// Parses `"30s"`, `"10m"`, `"6h"` (also `"1d"` for 24 hours).
    public init(parsing text: String) throws(SentinelError) {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0, text.first?.isNumber == true else {
            throw .invalid(nil, "'\(text)' is not a window such as 30s, 10m or 6h")
        }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3_600
        case "d": scale = 86_400
        default: throw .invalid(nil, "'\(text)' has unit '\(unit)'; use s, m, h or d")
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw .invalid(nil, "'\(text)' is too long") }
        try self.init(seconds: seconds)
    }

    public static let minute = try! RuleWindow(seconds: 60)
    public static let hour = try! RuleWindow(seconds: 3_600)
    public static let day = try! RuleWindow(seconds: 86_400)

    /// The canonical spelling: `"45s"`, `"10m"`, `"6h"`.
    public var description: String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3_600 || seconds % 3_600 != 0 { return "\(seconds / 60)m" }
        return "\(seconds / 3_600)h"
    }
}
