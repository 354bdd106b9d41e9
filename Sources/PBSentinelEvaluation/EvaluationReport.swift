import Foundation

/// Sentinel's scores on one generated trace.
///
/// - precision: of the keys Sentinel refused traffic on, the share that were under attack (per key);
/// - recall: the share of incidents detected (per incident; a replay storm also counts when the gateway refused
///   every replay);
/// - false-positive rate: the share of all keys whose normal traffic Sentinel refused at least once (before any
///   attack on their owner);
/// - time to detect: seconds from an incident's onset to the first refusal of its traffic;
/// - stopped before 5%: the incident's whole charged spend stayed under 5% of the victim's limit (the sum of the
///   limits of its keys).
public struct EvaluationReport: Sendable {
    public struct AttackRow: Sendable {
        public let type: AttackType
        public let incidents: Int
        public let detected: Int
        public let stoppedBySentinel: Int
        public let stoppedBeforeFivePercent: Int
        public let medianSecondsToDetect: Double?
        public let p95SecondsToDetect: Double?
        public let medianSpendFraction: Double
        public let maximumSpendFraction: Double
    }

    public let seed: UInt64
    public let agentCount: Int
    public let hours: Int
    public let eventCount: Int
    public let incidentCount: Int
    public let detectedIncidents: Int
    public let stoppedIncidents: Int
    public let falsePositiveKeys: Int
    public let truePositiveKeys: Int
    public let normalKeysWithAlerts: Int
    public let alertsOnNormalTraffic: Int
    /// Keys whose normal traffic each rule refused (a key can appear under several rules).
    public let falsePositivesByRule: [String: Int]
    public let rows: [AttackRow]
    /// One line per false-positive key and per attack not stopped in time (`pb sentinel eval --verbose`).
    public let diagnostics: [String]

    public var precision: Double {
        Double(truePositiveKeys) / Double(max(truePositiveKeys + falsePositiveKeys, 1))
    }

    public var recall: Double { Double(detectedIncidents) / Double(max(incidentCount, 1)) }

    public var falsePositiveRate: Double { Double(falsePositiveKeys) / Double(max(agentCount, 1)) }

    public var stoppedBeforeFivePercentRate: Double { Double(stoppedIncidents) / Double(max(incidentCount, 1)) }

    /// The seed's goal: false positives under 1% of normal keys, and at least 95% of attacks stopped before they
    /// spend 5% of the victim's limit.
    public var meetsGoal: Bool { falsePositiveRate < 0.01 && stoppedBeforeFivePercentRate >= 0.95 }

    public var table: String {
        func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.0f s", $0) } ?? "-" }
        var lines = [
            "pb sentinel eval: seed \(seed), \(agentCount) keys, \(hours) h, \(eventCount) requests, \(incidentCount) attacks",
            "",
            "attack            incidents  detected  by Sentinel  stopped<5%  median TTD  p95 TTD  median spend  max spend",
        ]
        for row in rows {
            lines.append(
                row.type.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
                    + String(format: " %9d %9d %12d %11d", row.incidents, row.detected, row.stoppedBySentinel, row.stoppedBeforeFivePercent)
                    + seconds(row.medianSecondsToDetect).leftPadded(12) + seconds(row.p95SecondsToDetect).leftPadded(9)
                    + String(format: " %12.2f%% %9.2f%%", row.medianSpendFraction * 100, row.maximumSpendFraction * 100))
        }
        lines += [
            "",
            "precision (keys)            \(percent(precision))",
            "recall (incidents)          \(percent(recall))",
            "false positives (keys)      \(falsePositiveKeys) of \(agentCount) = \(percent(falsePositiveRate))   goal < 1%"
                + (falsePositivesByRule.isEmpty ? "" : "   by rule: "
                    + falsePositivesByRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            "stopped before 5% of limit  \(stoppedIncidents) of \(incidentCount) = \(percent(stoppedBeforeFivePercentRate))   goal >= 95%",
            "alerts on normal traffic    \(alertsOnNormalTraffic) on \(normalKeysWithAlerts) keys (low-balance warnings and the like; not refusals)",
            "goal met: \(meetsGoal ? "yes" : "no")",
        ]
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
