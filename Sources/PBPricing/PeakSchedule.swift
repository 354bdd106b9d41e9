import Foundation
import PBCore

/// The peak windows of a plan and the IANA time zone their local times are read in.
///
/// Windows may not overlap (checked on the weekly local-time grid when built), so at most one multiplier applies at
/// any instant. Daylight-saving days are handled by mapping each window's local edges to instants with
/// `ZoneClock.instant(ofLocal:)`: a 00:00-06:00 window lasts 5 real hours on the spring-forward day in Europe/Berlin
/// and 7 on the fall-back day, and an edge inside the skipped hour falls at the transition. The mapping never goes
/// backwards, so windows that do not overlap in local time never overlap in real time either.
public struct PeakSchedule: Hashable, Sendable {
    /// The IANA zone name as configured, e.g. `Europe/Berlin`.
    public let timeZoneIdentifier: String
    public let windows: [PeakWindow]
    let clock: ZoneClock

    /// Builds a schedule; errors name `timeZone` or `peakWindows[i]` (the plan's config fields).
    public init(timeZone identifier: String, windows: [PeakWindow]) throws(PricingError) {
        guard let timeZone = TimeZone(identifier: identifier) else {
            throw .invalid("timeZone", "'\(identifier)' is not a known IANA time zone such as Europe/Berlin")
        }
        for (index, window) in windows.enumerated() {
            if let earlier = windows[..<index].firstIndex(where: { $0.name == window.name }) {
                throw .invalid("peakWindows[\(index)].name", "repeats the name of peakWindows[\(earlier)] ('\(window.name)')")
            }
            let spans = window.weeklyLocalSpans
            for (otherIndex, other) in windows[..<index].enumerated() {
                if spans.contains(where: { span in other.weeklyLocalSpans.contains { $0.overlaps(span) } }) {
                    throw .invalid(
                        "peakWindows[\(index)]",
                        "'\(window.name)' overlaps peakWindows[\(otherIndex)] ('\(other.name)'); at most one window may apply at a time")
                }
            }
        }
        self.timeZoneIdentifier = identifier
        self.windows = windows
        self.clock = ZoneClock(timeZone: timeZone)
    }

    /// One opening of a window, in Unix milliseconds: `[start, end)`.
    struct Opening: Hashable {
        let start: Int64
        let end: Int64
        let windowIndex: Int
    }

    /// The window open at `time`, if any.
    public func window(at time: UnixTime) -> PeakWindow? {
        windowIndex(at: time.milliseconds).map { windows[$0] }
    }

    func windowIndex(at milliseconds: Int64) -> Int? {
        guard !windows.isEmpty else { return nil }
        let second = milliseconds.flooredDivision(by: 1000)
        guard clock.hasConstantOffset(around: second) else {
            return openings(overlapping: milliseconds..<(milliseconds + 1)).first?.windowIndex
        }
        // No transition nearby: every edge that could contain this instant maps by one constant offset, so comparing
        // local times is the same as comparing instants, without resolving each edge.
        let local = clock.localSeconds(at: second)
        let day = local.flooredDivision(by: TimeOfDay.secondsPerDay)
        let timeOfDay = local - day * TimeOfDay.secondsPerDay
        let today = DayOfWeek(daysSinceEpoch: day)
        let yesterday = DayOfWeek(daysSinceEpoch: day - 1)
        return windows.firstIndex { window in
            let from = window.from.secondsSinceMidnight
            let to = window.to.secondsSinceMidnight
            if window.wrapsMidnight {
                return (window.days.contains(today) && timeOfDay >= from)
                    || (window.days.contains(yesterday) && timeOfDay < to)
            }
            return window.days.contains(today) && timeOfDay >= from && timeOfDay < to
        }
    }

    /// Every opening that overlaps `range` (Unix milliseconds), sorted by start; openings never overlap each other.
    func openings(overlapping range: Range<Int64>) -> [Opening] {
        guard !windows.isEmpty, !range.isEmpty else { return [] }
        let firstSecond = range.lowerBound.flooredDivision(by: 1000)
        let lastSecond = (range.upperBound - 1).flooredDivision(by: 1000)
        // A window opening the local day before can still be open at the start (it may wrap midnight).
        let firstDay = clock.localSeconds(at: firstSecond).flooredDivision(by: TimeOfDay.secondsPerDay) - 1
        let lastDay = clock.localSeconds(at: lastSecond).flooredDivision(by: TimeOfDay.secondsPerDay)
        var result: [Opening] = []
        for day in firstDay...lastDay {
            let dayOfWeek = DayOfWeek(daysSinceEpoch: day)
            for (index, window) in windows.enumerated() where window.days.contains(dayOfWeek) {
                let closingDay = window.wrapsMidnight ? day + 1 : day
                let start = clock.instant(ofLocal: day * TimeOfDay.secondsPerDay + window.from.secondsSinceMidnight)
                let end = clock.instant(ofLocal: closingDay * TimeOfDay.secondsPerDay + window.to.secondsSinceMidnight)
                // An opening wholly inside a skipped hour has start == end: it does not happen that day.
                guard start < end, start * 1000 < range.upperBound, end * 1000 > range.lowerBound else { continue }
                result.append(Opening(start: start * 1000, end: end * 1000, windowIndex: index))
            }
        }
        return result.sorted { $0.start < $1.start }
    }

    /// The instants strictly inside `range` where a window opens or closes: where a time interval must be split.
    func edges(inside range: Range<Int64>) -> [Int64] {
        openings(overlapping: range).flatMap { [$0.start, $0.end] }.filter {
            $0 > range.lowerBound && $0 < range.upperBound
        }
    }
}
