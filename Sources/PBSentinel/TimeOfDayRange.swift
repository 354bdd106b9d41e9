import Foundation
import PBCore

/// A local time-of-day range `[from, to)` in an IANA time zone, e.g. 22:00-06:00 in Europe/Berlin (crossing midnight
/// when `to` is earlier than `from`). Offsets come from Foundation's `TimeZone`, so daylight-saving time is right.
public struct TimeOfDayRange: Sendable, Hashable {
    /// Seconds after local midnight, inclusive.
    public let fromSecond: Int64
    /// Seconds after local midnight, exclusive.
    public let toSecond: Int64
    public let timeZoneIdentifier: String
    private let timeZone: TimeZone

    public init(from: String, to: String, timeZone identifier: String) throws(SentinelError) {
        let start = try SentinelError.naming("from") { try Self.parseTime(from) }
        let end = try SentinelError.naming("to") { try Self.parseTime(to) }
        guard start != end else { throw .invalid("to", "equals 'from'; the range would be empty or the whole day") }
        guard let zone = TimeZone(identifier: identifier) else {
            throw .invalid("timeZone", "'\(identifier)' is not an IANA time zone such as UTC or Europe/Berlin")
        }
        fromSecond = start
        toSecond = end
        timeZoneIdentifier = identifier
        timeZone = zone
    }

    public func contains(_ time: UnixTime) -> Bool {
        // Date holds a Double, exact for whole seconds far beyond any payment's date.
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(time.seconds))))
        let local = time.seconds + offset
        let second = ((local % 86_400) + 86_400) % 86_400
        return fromSecond < toSecond
            ? (fromSecond..<toSecond).contains(second) : (second >= fromSecond || second < toSecond)
    }

    public var fromText: String { Self.format(fromSecond) }
    public var toText: String { Self.format(toSecond) }

    /// `HH:MM` (24-hour, two digits each).
    static func parseTime(_ text: String) throws(SentinelError) -> Int64 {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.utf8.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let hour = Int64(parts[0]), let minute = Int64(parts[1]), hour < 24, minute < 60
        else { throw .invalid(nil, "'\(text)' is not a time of day such as 06:00 or 22:30") }
        return hour * 3_600 + minute * 60
    }

    static func format(_ second: Int64) -> String {
        let hour = second / 3_600
        let minute = second / 60 % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    public static func == (left: TimeOfDayRange, right: TimeOfDayRange) -> Bool {
        (left.fromSecond, left.toSecond, left.timeZoneIdentifier)
            == (right.fromSecond, right.toSecond, right.timeZoneIdentifier)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fromSecond)
        hasher.combine(toSecond)
        hasher.combine(timeZoneIdentifier)
    }
}
