import PBCore

/// What Sentinel remembers about one session key, bounded whatever the traffic: activity windows, a rolling window
/// of amounts, Welford and robust statistics of log-amounts and log-gaps, the payees and services it has paid, and
/// its rules' cooldowns. Codable, so the store can persist it (`RiskEngineSnapshot`).
struct KeyRiskState: Sendable, Hashable, Codable {
    var firstSeen: UnixTime
    var lastPaymentTime: UnixTime?
    var paymentCount: Int = 0
    var activity = ActivityWindows()
    /// Only once the gateway reports a refusal for the key, so quiet keys do not carry the buckets.
    var refusals: ActivityWindows?
    var recentAmounts: RollingAmounts
    /// Log-amounts and log-gaps between payments.
    var amounts: LearnedSeries
    var gaps: LearnedSeries
    /// Stable 64-bit hashes (FNV-1a, the same in every process, unlike `Hasher`) of the latest payees and services.
    var payees: RecentSet
    var services: RecentSet
    var clientIPs: RecentCounts
    var cooldowns = RuleCooldowns()

    init(firstSeen: UnixTime, settings: RiskEngineSettings) {
        self.firstSeen = firstSeen
        recentAmounts = RollingAmounts(capacity: settings.rollingAmountCount)
        amounts = LearnedSeries(settings: settings)
        gaps = LearnedSeries(settings: settings)
        payees = RecentSet(capacity: settings.rememberedPayeeCount)
        services = RecentSet(capacity: settings.rememberedServiceCount)
        clientIPs = RecentCounts(capacity: settings.rememberedClientIPCount)
    }

    /// Learns from a payment Sentinel allowed: amounts and gaps feed the statistics only then, so that refused
    /// attempts cannot drag a key's baseline towards an attacker's habits. Allowed payments whose recent mean is
    /// already `learningGateZScore` deviations out are kept out of the baselines too (up to
    /// `maximumSkippedLearning` in a row): otherwise a drain at 3-5x the usual price inflates the very median and
    /// MAD it is judged against, and is never caught.
    mutating func learn(from observation: PaymentObservation, hashes subject: ConditionSubject) {
        let settings = subject.settings
        recentAmounts.add(observation.amount)
        amounts.learn(
            PaymentObservation.logarithm(of: observation.amount), unusualWhen: .above, scaleFloor: settings.amountScaleFloor,
            settings: settings)
        if let previous = lastPaymentTime {
            gaps.learn(
                PaymentObservation.logarithmOfGap(from: previous, to: observation.time), unusualWhen: .below,
                scaleFloor: settings.interArrivalScaleFloor, settings: settings)
        }
        lastPaymentTime = max(lastPaymentTime ?? observation.time, observation.time)
        paymentCount += 1
        payees.insert(subject.payeeHash)
        services.insert(subject.serviceHash)
        if let hash = subject.clientIPHash { clientIPs.count(hash) }
    }
}

/// One statistic of a key (log-amounts or log-gaps): Welford and robust baselines, and the latest values whatever
/// the baselines learned.
struct LearnedSeries: Sendable, Hashable, Codable {
    enum Side: Sendable { case above, below }

    var welford: WelfordStatistics
    var robust: RobustStatistics
    /// The latest values of allowed payments, learned or not: the sample of "recent" z-scores.
    var recent = RecentValues()
    /// Values in a row the baselines did not learn because the recent mean already looked anomalous; capped so that
    /// a key whose habits really changed is relearned.
    var skipped = 0

    init(settings: RiskEngineSettings) {
        welford = WelfordStatistics(maximumCount: settings.welfordMaximumCount)
        robust = RobustStatistics(capacity: settings.robustWindowCount)
    }

    mutating func learn(_ value: Double, unusualWhen side: Side, scaleFloor: Double, settings: RiskEngineSettings) {
        let score = robust.zScore(
            ofMean: recent.sumOfLatest(settings.learningSampleCount - 1), plus: value, scaleFloor: scaleFloor)
        let unusual = side == .above ? score : -score
        if robust.totalCount < settings.learningGateMinimumHistory || unusual <= settings.learningGateZScore
            || skipped >= settings.maximumSkippedLearning
        {
            welford.add(value)
            robust.add(value)
            skipped = 0
        } else {
            skipped += 1
        }
        recent.add(value)
    }
}

/// The last 16 values in arrival order: the sample a "recent" z-score averages.
struct RecentValues: Sendable, Hashable, Codable {
    static let capacity = 16
    private var ring: [Double] = []
    private var nextIndex = 0

    mutating func add(_ value: Double) {
        if ring.count < Self.capacity {
            ring.append(value)
        } else {
            ring[nextIndex] = value
        }
        nextIndex = (nextIndex + 1) % Self.capacity
    }

    /// The sum of the `count` latest values (fewer when fewer are held).
    func sumOfLatest(_ count: Int) -> (sum: Double, count: Int) {
        let taken = min(max(count, 0), ring.count)
        var sum = 0.0
        for back in 0..<taken { sum += ring[(nextIndex - 1 - back + 2 * Self.capacity) % Self.capacity] }
        return (sum, taken)
    }
}

/// The most recent distinct values (hashes), oldest forgotten first: "has this key paid this payee before?"
struct RecentSet: Sendable, Hashable, Codable {
    private var values: [UInt64] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ value: UInt64) -> Bool { values.contains(value) }

    mutating func insert(_ value: UInt64) {
        if let index = values.firstIndex(of: value) {
            values.remove(at: index)
        } else if values.count >= capacity {
            values.removeFirst()
        }
        values.append(value)
    }
}

/// How many allowed payments came from each of the latest distinct values (client IP hashes), the least recently
/// seen forgotten first.
struct RecentCounts: Sendable, Hashable, Codable {
    private var values: [UInt64] = []
    private var counts: [Int] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func count(of value: UInt64) -> Int { values.firstIndex(of: value).map { counts[$0] } ?? 0 }

    mutating func count(_ value: UInt64) {
        var seen = 0
        if let index = values.firstIndex(of: value) {
            seen = counts[index]
            values.remove(at: index)
            counts.remove(at: index)
        } else if values.count >= capacity {
            values.removeFirst()
            counts.removeFirst()
        }
        values.append(value)
        counts.append(seen + 1)
    }
}

/// When each rule last fired for a subject and how many firings its cooldown swallowed since the last alert.
struct RuleCooldowns: Sendable, Hashable, Codable {
    struct Entry: Sendable, Hashable, Codable {
        var ruleID: String
        var lastFired: UnixTime
        var suppressed: Int
    }

    private var entries: [Entry] = []

    /// Records a firing of `rule` at `time`. Returns the number of firings suppressed since the previous alert when
    /// this firing starts a new incident (and should alert), nil while the incident is still cooling down. The
    /// cooldown runs from the latest firing: an incident lasts as long as the rule keeps firing.
    mutating func fire(_ rule: SentinelRule, at time: UnixTime) -> Int? {
        guard let index = entries.firstIndex(where: { $0.ruleID == rule.id }) else {
            entries.append(Entry(ruleID: rule.id, lastFired: time, suppressed: 0))
            return 0
        }
        let quietMilliseconds = time.milliseconds - entries[index].lastFired.milliseconds
        entries[index].lastFired = max(entries[index].lastFired, time)
        if quietMilliseconds >= rule.cooldownSeconds * 1_000 {
            defer { entries[index].suppressed = 0 }
            return entries[index].suppressed
        }
        entries[index].suppressed += 1
        return nil
    }
}
