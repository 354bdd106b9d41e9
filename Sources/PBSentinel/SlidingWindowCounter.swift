import PBCore

/// Calls and spend in a ring of fixed time buckets: the sum over the last k buckets is a sliding window to the
/// bucket's granularity, in constant memory whatever the traffic.
///
/// Spend per bucket is a saturating `UInt64` of base units (1.8e19, i.e. 1.8e13 USDC, per second or minute or hour
/// is out of reach of any real traffic); saturation can only make a spend rule fire earlier, never miss.
struct SlidingWindowCounter: Sendable, Hashable, Codable {
    let bucketSeconds: Int64
    private var counts: [UInt32]
    private var spends: [UInt64]
    /// The absolute bucket number (`time / bucketSeconds`) of the newest bucket written; older buckets follow it
    /// backwards around the ring.
    private var newestBucket: Int64

    init(bucketSeconds: Int64, bucketCount: Int) {
        self.bucketSeconds = bucketSeconds
        counts = [UInt32](repeating: 0, count: bucketCount)
        spends = [UInt64](repeating: 0, count: bucketCount)
        newestBucket = Int64.min / 2
    }

    var bucketCount: Int { counts.count }

    private func bucket(of time: UnixTime) -> Int64 { time.milliseconds.flooredDivision(by: bucketSeconds * 1_000) }

    private func slot(of bucket: Int64) -> Int { Int(bucket.flooredModulo(Int64(counts.count))) }

    /// Adds one event (or `calls` events) of `spend` base units at `time`. Time moving forwards clears the buckets
    /// it skips; an event older than the ring is dropped, one inside it lands in its own bucket.
    mutating func add(at time: UnixTime, calls: UInt32 = 1, spend: UInt128) {
        let target = bucket(of: time)
        if target > newestBucket {
            let cleared = min(target - newestBucket, Int64(counts.count))
            for offset in 0..<cleared {
                let index = slot(of: target - offset)
                counts[index] = 0
                spends[index] = 0
            }
            newestBucket = target
        } else if target <= newestBucket - Int64(counts.count) {
            return
        }
        let index = slot(of: target)
        counts[index] = counts[index].addingReportingOverflow(calls).overflow ? .max : counts[index] + calls
        // Spelled out: the generic `UInt64(clamping:)` from a UInt128 went through the runtime's generic shifts.
        let clamped = spend > UInt128(UInt64.max) ? UInt64.max : UInt64(truncatingIfNeeded: spend)
        let (sum, overflow) = spends[index].addingReportingOverflow(clamped)
        spends[index] = overflow ? .max : sum
    }

    /// Calls and spend in the `bucketsBack` buckets ending with the one holding `time` (at most the ring's size).
    func sum(bucketsBack: Int, at time: UnixTime) -> (calls: UInt64, spend: UInt128) {
        let last = bucket(of: time)
        var calls: UInt64 = 0
        var spend: UInt128 = 0
        for offset in 0..<Int64(min(bucketsBack, counts.count)) {
            let target = last - offset
            guard target <= newestBucket, target > newestBucket - Int64(counts.count) else { continue }
            let index = slot(of: target)
            calls += UInt64(counts[index])
            spend += UInt128(spends[index])
        }
        return (calls, spend)
    }
}

/// Calls and spend over the last minute (60 one-second buckets), hour (60 one-minute buckets) and day (24 one-hour
/// buckets): every `RuleWindow` is a sum of the last k buckets of one of them. About 1.7 KB per key.
struct ActivityWindows: Sendable, Hashable, Codable {
    private var seconds = SlidingWindowCounter(bucketSeconds: 1, bucketCount: 60)
    private var minutes = SlidingWindowCounter(bucketSeconds: 60, bucketCount: 60)
    private var hours = SlidingWindowCounter(bucketSeconds: 3_600, bucketCount: 24)

    mutating func add(at time: UnixTime, spend: UInt128) {
        seconds.add(at: time, spend: spend)
        minutes.add(at: time, spend: spend)
        hours.add(at: time, spend: spend)
    }

    func sum(over window: RuleWindow, at time: UnixTime) -> (calls: UInt64, spend: UInt128) {
        if window.seconds <= 60 { return seconds.sum(bucketsBack: Int(window.seconds), at: time) }
        if window.seconds <= 3_600 { return minutes.sum(bucketsBack: Int(window.seconds / 60), at: time) }
        return hours.sum(bucketsBack: Int(window.seconds / 3_600), at: time)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before the epoch fall in the right bucket.
    func flooredDivision(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    func flooredModulo(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
