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
    var amountWelford: WelfordStatistics
    var amountRobust: RobustStatistics
    var gapWelford: WelfordStatistics
    var gapRobust: RobustStatistics
    /// Stable 64-bit hashes (FNV-1a, the same in every process, unlike `Hasher`) of the latest payees and services.
    var payees: RecentSet
    var services: RecentSet
    var cooldowns = RuleCooldowns()

    init(firstSeen: UnixTime, settings: RiskEngineSettings) {
        self.firstSeen = firstSeen
        recentAmounts = RollingAmounts(capacity: settings.rollingAmountCount)
        amountWelford = WelfordStatistics(maximumCount: settings.welfordMaximumCount)
        amountRobust = RobustStatistics(capacity: settings.robustWindowCount)
        gapWelford = WelfordStatistics(maximumCount: settings.welfordMaximumCount)
        gapRobust = RobustStatistics(capacity: settings.robustWindowCount)
        payees = RecentSet(capacity: settings.rememberedPayeeCount)
        services = RecentSet(capacity: settings.rememberedServiceCount)
    }

    /// Learns from a payment Sentinel allowed: amounts and gaps feed the statistics only then, so that refused
    /// attempts cannot drag a key's baseline towards an attacker's habits.
    mutating func learn(from observation: PaymentObservation, payeeHash: UInt64, serviceHash: UInt64) {
        let amountLog = PaymentObservation.logarithm(of: observation.amount)
        recentAmounts.add(observation.amount)
        amountWelford.add(amountLog)
        amountRobust.add(amountLog)
        if let previous = lastPaymentTime {
            let gapLog = PaymentObservation.logarithmOfGap(from: previous, to: observation.time)
            gapWelford.add(gapLog)
            gapRobust.add(gapLog)
        }
        lastPaymentTime = max(lastPaymentTime ?? observation.time, observation.time)
        paymentCount += 1
        payees.insert(payeeHash)
        services.insert(serviceHash)
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
