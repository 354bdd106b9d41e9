/// A local wall-clock time of day, to the second: the edges of a peak window.
public struct TimeOfDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let secondsPerDay: Int64 = 86_400

    /// Seconds after local midnight, `0..<86400`.
    public let secondsSinceMidnight: Int64

    public init(hour: Int, minute: Int, second: Int = 0) throws(PricingError) {
        guard (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second) else {
            throw .invalid(nil, "time of day \(hour):\(minute):\(second) is outside 00:00:00...23:59:59")
        }
        secondsSinceMidnight = Int64(hour * 3600 + minute * 60 + second)
    }

    /// Parses `HH:MM` or `HH:MM:SS` (24-hour, two digits each), e.g. `"18:00"`, `"07:30:15"`.
    public init(parsing text: String) throws(PricingError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count),
            parts.allSatisfy({ $0.utf8.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let hour = Int(parts[0]), let minute = Int(parts[1])
        else { throw .invalid(nil, "'\(text)' is not a time of day such as 18:00 or 18:00:30") }
        try self.init(hour: hour, minute: minute, second: parts.count == 3 ? Int(parts[2]) ?? 60 : 0)
    }

    /// `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
    public var description: String {
        func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let hourMinute = twoDigits(secondsSinceMidnight / 3600) + ":" + twoDigits(secondsSinceMidnight / 60 % 60)
        let second = secondsSinceMidnight % 60
        return second == 0 ? hourMinute : hourMinute + ":" + twoDigits(second)
    }

    public static func < (left: TimeOfDay, right: TimeOfDay) -> Bool {
        left.secondsSinceMidnight < right.secondsSinceMidnight
    }
}

/// A day of the week, numbered as ISO 8601 does (Monday 1 ... Sunday 7) and written `mon` ... `sun` in configuration.
public enum DayOfWeek: Int, CaseIterable, Hashable, Sendable, Comparable, CustomStringConvertible {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// Parses `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`.
    public init(name: String) throws(PricingError) {
        guard let day = Self.allCases.first(where: { $0.name == name }) else {
            throw .invalid(nil, "'\(name)' is not a day; use mon, tue, wed, thu, fri, sat or sun")
        }
        self = day
    }

    public var name: String {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][rawValue - 1]
    }

    public var description: String { name }

    /// The day of the week of a day counted from 1970-01-01, which was a Thursday.
    init(daysSinceEpoch: Int64) {
        let mondayBased = ((daysSinceEpoch + 3) % 7 + 7) % 7
        self = DayOfWeek(rawValue: Int(mondayBased) + 1) ?? .monday
    }

    public static func < (left: DayOfWeek, right: DayOfWeek) -> Bool { left.rawValue < right.rawValue }
}
