import PBCore
import PBCrypto

/// What a condition is judged against: the observation and the state of its key and owner before it is counted.
/// Plain stored references, built once per evaluation; counts include the payment being judged.
struct ConditionSubject {
    let keyID: Bytes32
    let owner: EthereumAddress
    let time: UnixTime
    /// Nil for a refusal.
    let payment: PaymentObservation?
    let clientIP: String?
    let payeeHash: UInt64
    let serviceHash: UInt64
    /// Nil when the client IP is unknown.
    let clientIPHash: UInt64?
    let settings: RiskEngineSettings
}

extension RuleCondition {
    /// Whether the condition holds. Counts and sums include the observation being judged (one call, its amount).
    func holds(_ subject: ConditionSubject, key: KeyRiskState, owner: OwnerRiskState) -> Bool {
        switch self {
        case .refusals(let window, let above):
            let counted = key.refusals?.sum(over: window, at: subject.time).calls ?? 0
            return counted + (subject.payment == nil ? 1 : 0) > above
        case .timeOfDay(let range): return range.contains(subject.time)
        case .clientIP(let match): return match.matches(subject.clientIP)
        default: break
        }
        guard let payment = subject.payment else { return false }
        switch self {
        case .amountAbove(let threshold): return payment.amount > threshold
        case .amountVsAverage(let multiple, let minimumHistory):
            return key.recentAmounts.count >= minimumHistory
                && key.recentAmounts.isExceeded(by: payment.amount, multipleMillionths: multiple)
        case .calls(let scope, let window, let above):
            return activity(scope, key, owner).sum(over: window, at: subject.time).calls + 1 > above
        case .spend(let scope, let window, let above):
            let spent = activity(scope, key, owner).sum(over: window, at: subject.time).spend
            return spent.addingReportingOverflow(payment.amount).overflow || spent + payment.amount > above
        case .spendOfLimit(let window, let share):
            let spent = key.activity.sum(over: window, at: subject.time).spend &+ payment.amount
            return ExactComparison.isGreater(spent, times: 1_000_000, than: share, times: payment.totalLimit)
        case .callsVsBaseline(let scope, let window, let baseline, let multiple):
            guard hasHistory(scope, key, owner, covering: baseline, at: subject.time) else { return false }
            let windows = activity(scope, key, owner)
            let recent = UInt128(windows.sum(over: window, at: subject.time).calls + 1)
            let longer = UInt128(windows.sum(over: baseline, at: subject.time).calls + 1)
            return Self.rate(recent, over: window, exceeds: multiple, times: longer, over: baseline)
        case .spendVsBaseline(let scope, let window, let baseline, let multiple):
            guard hasHistory(scope, key, owner, covering: baseline, at: subject.time) else { return false }
            let windows = activity(scope, key, owner)
            let recent = windows.sum(over: window, at: subject.time).spend &+ payment.amount
            let longer = windows.sum(over: baseline, at: subject.time).spend &+ payment.amount
            return Self.rate(recent, over: window, exceeds: multiple, times: longer, over: baseline)
        case .remainingFractionBelow(let millionths):
            guard payment.totalLimit > 0 else { return false }
            return ExactComparison.isLess(
                payment.remainingAfterPayment, times: 1_000_000, than: millionths, times: payment.totalLimit)
        case .newPayee(let minimumHistory):
            return key.paymentCount >= minimumHistory && !key.payees.contains(subject.payeeHash)
        case .newService(let minimumHistory):
            return key.paymentCount >= minimumHistory && !key.services.contains(subject.serviceHash)
        case .newClientIP(let minimumHistory, let seenFewerThan):
            guard let hash = subject.clientIPHash else { return false }
            return key.paymentCount >= minimumHistory && key.clientIPs.count(of: hash) < seenFewerThan
        case .amountZScore(let above, _, _, _):
            guard let score = amountScore(payment, key: key, settings: subject.settings) else { return false }
            return score > above
        case .interArrivalZScore(let below, _, _, _):
            guard let score = gapScore(payment, key: key, settings: subject.settings) else { return false }
            return score < below
        case .refusals, .timeOfDay, .clientIP: return false
        }
    }

    /// The condition with the value it measured, for an alert's details (only built when a rule alerts).
    func explain(_ subject: ConditionSubject, key: KeyRiskState, owner: OwnerRiskState) -> String {
        let time = subject.time
        switch self {
        case .amountAbove(let threshold): return "amount \(subject.payment?.amount ?? 0) > \(threshold)"
        case .amountVsAverage(let multiple, _):
            let count = max(key.recentAmounts.count, 1)
            return "amount \(subject.payment?.amount ?? 0) > \(Self.decimal(multiple))x the average "
                + "\(key.recentAmounts.sum / UInt128(count)) of the last \(key.recentAmounts.count)"
        case .calls(let scope, let window, let above):
            return "\(scope.rawValue) calls in \(window): \(activity(scope, key, owner).sum(over: window, at: time).calls + 1) > \(above)"
        case .spend(let scope, let window, let above):
            let spent = activity(scope, key, owner).sum(over: window, at: time).spend &+ (subject.payment?.amount ?? 0)
            return "\(scope.rawValue) spend in \(window): \(spent) > \(above)"
        case .spendOfLimit(let window, let share):
            let spent = key.activity.sum(over: window, at: time).spend &+ (subject.payment?.amount ?? 0)
            return "key spend in \(window): \(spent) of the limit \(subject.payment?.totalLimit ?? 0) is above \(Self.decimal(share))"
        case .callsVsBaseline(let scope, let window, let baseline, let multiple):
            let windows = activity(scope, key, owner)
            return "\(scope.rawValue) calls: \(windows.sum(over: window, at: time).calls + 1) in \(window) vs "
                + "\(windows.sum(over: baseline, at: time).calls + 1) in \(baseline) (rate above \(Self.decimal(multiple))x)"
        case .spendVsBaseline(let scope, let window, let baseline, let multiple):
            let windows = activity(scope, key, owner)
            return "\(scope.rawValue) spend: \(windows.sum(over: window, at: time).spend) in \(window) vs "
                + "\(windows.sum(over: baseline, at: time).spend) in \(baseline) (rate above \(Self.decimal(multiple))x)"
        case .remainingFractionBelow(let millionths):
            return "remaining \(subject.payment?.remainingAfterPayment ?? 0) of \(subject.payment?.totalLimit ?? 0) "
                + "is below \(Self.decimal(millionths))"
        case .newPayee: return "first payment to this payee"
        case .newService: return "first payment for this service"
        case .newClientIP: return "first payment from client IP \(subject.clientIP ?? "unknown")"
        case .timeOfDay(let range): return "time of day within \(range.fromText)-\(range.toText) \(range.timeZoneIdentifier)"
        case .clientIP(let match):
            return "client IP \(subject.clientIP ?? "unknown") \(match.negated ? "outside" : "inside") the listed ranges"
        case .amountZScore(let above, let estimator, _, let recent):
            let score = subject.payment.flatMap { amountScore($0, key: key, settings: subject.settings) }
            return "amount z-score (\(estimator.rawValue), last \(recent)) \(Self.format(score)) > \(above)"
        case .interArrivalZScore(let below, let estimator, _, let recent):
            let score = subject.payment.flatMap { gapScore($0, key: key, settings: subject.settings) }
            return "inter-arrival z-score (\(estimator.rawValue), last \(recent)) \(Self.format(score)) < \(below)"
        case .refusals(let window, let above):
            let counted = (key.refusals?.sum(over: window, at: time).calls ?? 0) + (subject.payment == nil ? 1 : 0)
            return "refused payments in \(window): \(counted) > \(above)"
        }
    }

    private func activity(_ scope: RuleScope, _ key: KeyRiskState, _ owner: OwnerRiskState) -> ActivityWindows {
        scope == .key ? key.activity : owner.activity
    }

    private func hasHistory(
        _ scope: RuleScope, _ key: KeyRiskState, _ owner: OwnerRiskState, covering baseline: RuleWindow, at time: UnixTime
    ) -> Bool {
        let firstSeen = scope == .key ? key.firstSeen : owner.firstSeen
        return time.milliseconds - firstSeen.milliseconds >= baseline.seconds * 1_000
    }

    /// `recent / window > multiple * longer / baseline`, exactly: `recent * baseline * 10^6 > multiple * longer * window`.
    private static func rate(
        _ recent: UInt128, over window: RuleWindow, exceeds multiple: UInt128, times longer: UInt128,
        over baseline: RuleWindow
    ) -> Bool {
        let (left, leftOverflow) = recent.multipliedReportingOverflow(by: UInt128(baseline.seconds) * 1_000_000)
        let (right, rightOverflow) = longer.multipliedReportingOverflow(by: UInt128(window.seconds))
        if leftOverflow || rightOverflow { return leftOverflow && !rightOverflow }
        return ExactComparison.isGreater(left, times: 1, than: multiple, times: right)
    }

    /// The amount condition's z-score for this payment; nil before the minimum history.
    func amountScore(_ payment: PaymentObservation, key: KeyRiskState, settings: RiskEngineSettings) -> Double? {
        guard case .amountZScore(_, let estimator, let minimumHistory, let recent) = self else { return nil }
        return Self.zScore(
            of: PaymentObservation.logarithm(of: payment.amount), series: key.amounts, count: recent, estimator: estimator,
            minimumHistory: minimumHistory, floor: settings.amountScaleFloor)
    }

    /// The inter-arrival condition's z-score for this payment; nil before the minimum history or a first payment.
    func gapScore(_ payment: PaymentObservation, key: KeyRiskState, settings: RiskEngineSettings) -> Double? {
        guard case .interArrivalZScore(_, let estimator, let minimumHistory, let recent) = self,
            let previous = key.lastPaymentTime
        else { return nil }
        return Self.zScore(
            of: PaymentObservation.logarithmOfGap(from: previous, to: payment.time), series: key.gaps, count: recent,
            estimator: estimator, minimumHistory: minimumHistory, floor: settings.interArrivalScaleFloor)
    }

    /// z of the mean of `value` and the `count - 1` allowed values before it, against the estimator's centre and
    /// scale: (mean - centre) * sqrt(n) / scale.
    static func zScore(
        of value: Double, series: LearnedSeries, count: Int, estimator: Estimator, minimumHistory: Int, floor: Double
    ) -> Double? {
        let earlier = series.recent.sumOfLatest(count - 1)
        switch estimator {
        case .welford:
            guard series.welford.count >= minimumHistory else { return nil }
            return series.welford.zScore(ofMean: earlier, plus: value, scaleFloor: floor)
        case .robust:
            guard series.robust.totalCount >= minimumHistory else { return nil }
            return series.robust.zScore(ofMean: earlier, plus: value, scaleFloor: floor)
        }
    }

    private static func decimal(_ millionths: UInt128) -> String {
        DecimalString.format(millionths, fractionDigits: 6, trimmed: true)
    }

    private static func format(_ score: Double?) -> String {
        guard let score else { return "n/a" }
        return String(Double(Int((score * 100).rounded())) / 100)
    }
}
