import Foundation
import PBCore

/// How `pb meter` prints the gateway's answers: money as the API's decimal strings (never re-computed), times as
/// ISO 8601 UTC, one fact a line so scripts can `grep` them.
enum MeterOutput {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// `2026-11-25T10:00:00.000Z` for Unix milliseconds, `none` for null.
    static func time(_ value: JSONValue?) -> String {
        guard let text = value.flatMap(number), let milliseconds = Int64(text) else { return "none" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "?" }
        switch value {
        case .string(let text): return text
        case .number(let digits): return digits
        case .bool(let flag): return flag ? "yes" : "no"
        case .null: return "none"
        default: return value.serialized()
        }
    }

    private static func number(_ value: JSONValue) -> String? {
        switch value {
        case .number(let digits), .string(let digits): digits
        default: nil
        }
    }

    static func account(_ account: JSONValue) -> [String] {
        let asset = text(account["asset"])
        return [
            "account \(text(account["id"])): balance \(text(account["balance"])) \(asset) (\(text(account["balanceBaseUnits"])) base units)",
            "topped up \(text(account["toppedUp"])), spent \(text(account["spent"]))",
            "low balance at \(text(account["lowBalanceThreshold"])) (fraction \(text(account["lowBalanceFraction"]))), "
                + "alerted \(text(account["lowBalanceAlerted"]))",
            "predicted depletion \(time(account["predictedDepletionAt"]))",
        ]
    }

    static func session(_ session: JSONValue) -> [String] {
        let payer = session["grantId"].flatMap { $0 == .null ? nil : "grant \(text($0))" }
            ?? "account \(text(session["accountId"]))"
        var lines = [
            "session \(text(session["id"])): \(text(session["status"]))",
            "\(payer), service \(text(session["service"]))",
            "charged \(text(session["charged"])) (\(text(session["chargedBaseUnits"])) base units), "
                + "\(text(session["usageEventCount"])) usage events",
            "predicted depletion \(time(session["predictedDepletionAt"]))",
        ]
        if let statement = session["statement"], statement != .null { lines += self.statement(statement) }
        return lines
    }

    /// The statement: one line per merged charge rule, then the totals, the top-ups and the balance.
    static func statement(_ statement: JSONValue) -> [String] {
        var lines = ["statement:"]
        for line in statement["lines"]?.arrayValues ?? [] {
            var rule = "\(text(line["quantity"])) \(text(line["unit"]))"
            if let dimension = line["dimension"], dimension != .null { rule += " [\(text(dimension))]" }
            if let rate = line["rate"], rate != .null { rule += " at \(text(rate))" }
            if text(line["multiplier"]) != "1" { rule += " x\(text(line["multiplier"]))" }
            if let tier = line["tier"], tier != .null { rule += " tier \(text(tier))" }
            if let peak = line["peakWindow"], peak != .null { rule += " (peak '\(text(peak))')" }
            lines.append("  \(rule) = \(text(line["amount"]))")
        }
        lines.append(
            "  exact total \(text(statement["exactTotal"])), charged \(text(statement["charged"])), "
                + "remainder \(text(statement["remainder"]))")
        for topUp in statement["topUps"]?.arrayValues ?? [] {
            lines.append("  top-up \(text(topUp["id"])) +\(text(topUp["amount"])) at \(time(topUp["at"]))")
        }
        lines.append("  balance \(text(statement["balance"]))")
        return lines
    }

    static func print(_ lines: [String]) {
        for line in lines { Swift.print(line) }
    }

    /// The whole answer as JSON (`--json`), or the summary lines.
    static func emit(_ value: JSONValue, json: Bool, summary: (JSONValue) -> [String]) {
        if json { Swift.print(value.serialized()) } else { print(summary(value)) }
    }
}
