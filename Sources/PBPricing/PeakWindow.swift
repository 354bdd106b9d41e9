/// A recurring span of local time in which prices are multiplied, e.g. weekday evenings 18:00-22:00 at 1.5x.
///
/// The window opens at `from` on each of its `days` and closes at `to` the same day, or, when `to` is earlier than
/// `from`, at `to` on the next day (a window that wraps midnight: Friday 22:00-02:00 covers Saturday 00:00-02:00).
/// `from == to` is rejected: it would mean either nothing or the whole day. Local times are read in the time zone
/// of the `PeakSchedule` holding the window; see there for daylight-saving transitions.
public struct PeakWindow: Hashable, Sendable {
    /// Names the window in charge lines and quotes (`evening`); unique within a schedule.
    public let name: String
    /// The days on which the window opens.
    public let days: Set<DayOfWeek>
    /// Opening time, inclusive.
    public let from: TimeOfDay
    /// Closing time, exclusive; earlier than `from` means the next day.
    public let to: TimeOfDay
    public let multiplier: Multiplier

    public init(
        name: String, days: Set<DayOfWeek>, from: TimeOfDay, to: TimeOfDay, multiplier: Multiplier
    ) throws(PricingError) {
        guard !name.isEmpty, name.utf8.count <= 64, !name.contains(where: \.isNewline) else {
            throw .invalid("name", "a peak window needs a name of 1 to 64 characters")
        }
        guard !days.isEmpty else { throw .invalid("days", "a peak window needs at least one day") }
        guard from != to else {
            throw .invalid("to", "equals 'from' (\(from)); a window must have a length, at most 24 hours minus one second")
        }
        self.name = name
        self.days = days
        self.from = from
        self.to = to
        self.multiplier = multiplier
    }

    /// True when the window closes on the day after it opens.
    public var wrapsMidnight: Bool { to < from }

    /// Length in local seconds (shorter or longer in real time on a daylight-saving day).
    var localLengthSeconds: Int64 {
        wrapsMidnight
            ? TimeOfDay.secondsPerDay - from.secondsSinceMidnight + to.secondsSinceMidnight
            : to.secondsSinceMidnight - from.secondsSinceMidnight
    }

    /// The window's openings as spans of seconds in a week of local time (Monday 00:00 = 0), split at the week's end,
    /// so that two windows' spans intersect exactly when the windows overlap.
    var weeklyLocalSpans: [Range<Int64>] {
        let week = 7 * TimeOfDay.secondsPerDay
        return days.sorted().flatMap { day -> [Range<Int64>] in
            let start = Int64(day.rawValue - 1) * TimeOfDay.secondsPerDay + from.secondsSinceMidnight
            let end = start + localLengthSeconds
            return end <= week ? [start..<end] : [start..<week, 0..<(end - week)]
        }
    }
}
