import Foundation
import PBSentinel

/// Tallies what Sentinel did to each key and incident while the trace plays, against the labels.
struct Scoreboard {
    let keys: [SimulatedKey]
    let incidents: [AttackIncident]
    /// Per key: the first onset of an attack on its owner. Before it, any refusal by Sentinel of the key's traffic is a
    /// false positive; after it, freezing the owner's keys is part of the response.
    private let protectedUntil: [Int64]
    var eventCount = 0
    var attackSpend: [UInt128]
    /// Per incident: when Sentinel first refused its traffic (block, freeze, or refused while frozen).
    private var firstStop: [Int64?]
    /// Per incident: whether Sentinel itself froze or blocked (for replay storms, which the gateway refuses anyway).
    private var stoppedBySentinel: [Bool]
    private var falsePositiveKeys: Set<Int> = []
    /// Which rules refused normal traffic, and on how many keys: what to look at when tuning.
    private var falsePositiveRules: [String: Set<Int>] = [:]
    private var truePositiveKeys: Set<Int> = []
    private var alertsOnNormalTraffic = 0
    /// Normal requests seen per key so far, and per incident the count its first key had when the attack began: how
    /// much history Sentinel had to judge by.
    private var normalRequests: [Int]
    private var historyAtOnset: [Int?]
    /// One line per false-positive key and per attack that was not stopped in time, for tuning.
    private(set) var diagnostics: [String] = []
    private var normalKeysWithAlerts: Set<Int> = []

    init(keys: [SimulatedKey], incidents: [AttackIncident]) {
        self.keys = keys
        self.incidents = incidents
        var until = [Int64](repeating: .max, count: keys.count)
        var ownerOnset: [Int: Int64] = [:]
        for incident in incidents {
            for index in incident.keyIndices {
                ownerOnset[keys[index].ownerIndex] = min(ownerOnset[keys[index].ownerIndex] ?? .max, incident.onset)
            }
        }
        for index in keys.indices { until[index] = ownerOnset[keys[index].ownerIndex] ?? .max }
        protectedUntil = until
        attackSpend = [UInt128](repeating: 0, count: incidents.count)
        firstStop = [Int64?](repeating: nil, count: incidents.count)
        stoppedBySentinel = [Bool](repeating: false, count: incidents.count)
        normalRequests = [Int](repeating: 0, count: keys.count)
        historyAtOnset = [Int?](repeating: nil, count: incidents.count)
    }

    mutating func record(_ verdict: RiskVerdict, event: TrafficEvent, refusedAnyway: Bool) {
        let refusedBySentinel: Bool
        switch verdict.decision {
        case .allow: refusedBySentinel = false
        case .block, .freeze, .frozen: refusedBySentinel = true
        }
        if let incident = event.incident {
            if historyAtOnset[incident] == nil { historyAtOnset[incident] = normalRequests[event.keyIndex] }
            if refusedBySentinel || refusedAnyway {
                firstStop[incident] = min(firstStop[incident] ?? .max, event.time)
            }
            if refusedBySentinel {
                stoppedBySentinel[incident] = true
                truePositiveKeys.insert(event.keyIndex)
            }
        } else if event.time < protectedUntil[event.keyIndex] {
            if !refusedAnyway { normalRequests[event.keyIndex] += 1 }
            if refusedBySentinel {
                if !falsePositiveKeys.contains(event.keyIndex) {
                    let key = keys[event.keyIndex]
                    diagnostics.append(
                        "false positive: key \(event.keyIndex) (\(key.habit.rawValue), typical \(Int(key.typicalAmount))) at "
                            + "+\((event.time - TrafficGenerator.startMilliseconds) / 60_000) min: "
                            + (verdict.events.first?.details ?? "\(verdict.decision)"))
                }
                falsePositiveKeys.insert(event.keyIndex)
                if let rule = verdict.reason?.ruleID { falsePositiveRules[rule, default: []].insert(event.keyIndex) }
            }
            if !verdict.alerts.isEmpty {
                alertsOnNormalTraffic += verdict.alerts.count
                normalKeysWithAlerts.insert(event.keyIndex)
            }
        }
    }

    func report(generator: TrafficGenerator) -> EvaluationReport {
        var rows: [EvaluationReport.AttackRow] = []
        var detectedTotal = 0
        var stoppedTotal = 0
        var notes = diagnostics
        for type in AttackType.allCases {
            let members = incidents.indices.filter { incidents[$0].type == type }
            var detectionSeconds: [Double] = []
            var spendFractions: [Double] = []
            var stopped = 0
            var bySentinel = 0
            for index in members {
                let incident = incidents[index]
                // A replay storm counts as detected when every replay was refused, by the gateway's replay check or by
                // Sentinel; the other attacks only when Sentinel refused their traffic.
                let detected = type == .replayStorm ? firstStop[index] != nil : stoppedBySentinel[index]
                if detected, let stop = firstStop[index] { detectionSeconds.append(Double(stop - incident.onset) / 1_000) }
                if stoppedBySentinel[index] { bySentinel += 1 }
                let fraction = Double(attackSpend[index]) / Double(max(incident.victimLimit, 1))
                spendFractions.append(fraction)
                // "Stopped before it spent 5% of the victim's limit": the attack's whole charged spend stayed below 5%.
                if detected, attackSpend[index] * 20 < incident.victimLimit {
                    stopped += 1
                } else {
                    let habits = Set(incident.keyIndices.map { keys[$0].habit.rawValue }).sorted().joined(separator: "+")
                    notes.append(
                        "not stopped: \(type.rawValue) incident \(index) on \(incident.keyIndices.count) \(habits) key(s) "
                            + "with \(historyAtOnset[index] ?? 0) payments of history, "
                            + "spent \(String(format: "%.1f", fraction * 100))% of the limit, first stop "
                            + (firstStop[index].map { "after \(($0 - incident.onset) / 1_000) s" } ?? "never"))
                }
            }
            detectedTotal += detectionSeconds.count
            stoppedTotal += stopped
            rows.append(EvaluationReport.AttackRow(
                type: type, incidents: members.count, detected: detectionSeconds.count, stoppedBySentinel: bySentinel,
                stoppedBeforeFivePercent: stopped, medianSecondsToDetect: Self.percentile(detectionSeconds, 0.5),
                p95SecondsToDetect: Self.percentile(detectionSeconds, 0.95),
                medianSpendFraction: Self.percentile(spendFractions, 0.5) ?? 0,
                maximumSpendFraction: spendFractions.max() ?? 0))
        }
        let truePositives = truePositiveKeys.subtracting(falsePositiveKeys).count
        return EvaluationReport(
            seed: generator.seed, agentCount: keys.count, hours: generator.hours, eventCount: eventCount,
            incidentCount: incidents.count, detectedIncidents: detectedTotal, stoppedIncidents: stoppedTotal,
            falsePositiveKeys: falsePositiveKeys.count, truePositiveKeys: truePositives,
            normalKeysWithAlerts: normalKeysWithAlerts.count, alertsOnNormalTraffic: alertsOnNormalTraffic,
            falsePositivesByRule: falsePositiveRules.mapValues(\.count), rows: rows, diagnostics: notes)
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }
}
