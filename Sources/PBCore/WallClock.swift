#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// A point in time as Unix time with millisecond precision: what grants, receipts and identifiers record.
///
/// Whole milliseconds because that is what identifiers and wire formats carry; finer precision would only
/// produce values that do not survive a round trip.
public struct UnixTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z (negative before it).
    public let milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public init(seconds: Int64) { self.milliseconds = seconds * 1000 }

    /// Whole seconds since the epoch, rounded toward negative infinity (so -1 ms is second -1, not 0).
    public var seconds: Int64 { milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000 }

    public func adding(seconds: Int64) -> UnixTime { UnixTime(milliseconds: milliseconds + seconds * 1000) }

    public func adding(milliseconds delta: Int64) -> UnixTime { UnixTime(milliseconds: milliseconds + delta) }

    public static func < (left: UnixTime, right: UnixTime) -> Bool { left.milliseconds < right.milliseconds }

    public var description: String { "\(milliseconds) ms since epoch" }
}

/// The source of "now" for anything that expires, is stamped or is sorted by time; injected so tests control it.
public protocol WallClock: Sendable {
    var now: UnixTime { get }
}

/// The operating system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public var now: UnixTime {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UnixTime(milliseconds: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }
}

/// A clock that moves only when told to; safe to share between tasks (a `Mutex` guards the time).
public final class ManualWallClock: WallClock {
    private let current: Mutex<UnixTime>

    /// Starts at `start`; the default, 2025-01-01T00:00:00Z, keeps tests away from the epoch's edge cases.
    public init(_ start: UnixTime = UnixTime(seconds: 1_735_689_600)) {
        current = Mutex(start)
    }

    public var now: UnixTime { current.withLock { $0 } }

    public func advance(bySeconds seconds: Int64) {
        current.withLock { $0 = $0.adding(seconds: seconds) }
    }

    public func advance(byMilliseconds milliseconds: Int64) {
        current.withLock { $0 = $0.adding(milliseconds: milliseconds) }
    }

    public func set(_ time: UnixTime) {
        current.withLock { $0 = time }
    }
}
