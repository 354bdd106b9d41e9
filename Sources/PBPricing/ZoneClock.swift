import Foundation

/// Converts between instants and local wall-clock seconds in one IANA time zone, using Foundation's `TimeZone`
/// (the system tz database) for the offsets. Instants and local times are whole seconds; local seconds count from
/// 1970-01-01 00:00 local, so a local day is just `local / 86400` and no calendar arithmetic is needed.
struct ZoneClock: Hashable, Sendable {
    let timeZone: TimeZone

    /// Seconds the zone is ahead of UTC at `instant`.
    func offsetSeconds(at instant: Int64) -> Int64 {
        // Date holds a Double, exact for whole seconds far beyond any date we price.
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    func localSeconds(at instant: Int64) -> Int64 { instant + offsetSeconds(at: instant) }

    /// True when the offset is the same a full two days either side of `instant`, so that every window edge within a
    /// day of it maps to local time by one constant shift (the fast path for pricing a single event).
    func hasConstantOffset(around instant: Int64) -> Bool {
        let offset = offsetSeconds(at: instant)
        return offsetSeconds(at: instant - 2 * TimeOfDay.secondsPerDay) == offset
            && offsetSeconds(at: instant + 2 * TimeOfDay.secondsPerDay) == offset
    }

    /// The instant at which local time `local` happens.
    ///
    /// A time that happens twice (clocks go back) resolves to its first occurrence. A time that never happens (clocks
    /// go forward over it) resolves to the transition itself, the first instant after the gap: a window edge at 02:30
    /// on the spring-forward day in Europe/Berlin falls at 03:00 CEST.
    func instant(ofLocal local: Int64) -> Int64 {
        let offsetBefore = offsetSeconds(at: local - TimeOfDay.secondsPerDay)
        let offsetAfter = offsetSeconds(at: local + TimeOfDay.secondsPerDay)
        let early = local - max(offsetBefore, offsetAfter)
        let late = local - min(offsetBefore, offsetAfter)
        if localSeconds(at: early) == local { return early }
        if localSeconds(at: late) == local { return late }
        // In the gap: local time is below `local` before the transition and above it after; find the transition.
        var below = early
        var above = late
        while above - below > 1 {
            let middle = below + (above - below) / 2
            if localSeconds(at: middle) > local { above = middle } else { below = middle }
        }
        return above
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, for days and seconds before the epoch.
    func flooredDivision(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
