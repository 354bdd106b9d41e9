/// Median and MAD (median absolute deviation) of the last `capacity` values, with bounded memory.
///
/// Why a window and not P² quantile markers: the MAD is the median of |x - median|, a second quantile over values
/// that move whenever the median moves, which P² cannot track without keeping the values anyway; and a window of a
/// few dozen values forgets old habits by itself. The window is kept twice: in arrival order (a ring, to know which
/// value leaves) and sorted (so the median is one read and the MAD one merge of the two halves' deviations), which
/// makes an update O(capacity) with capacity <= 128, a few hundred nanoseconds; the median and MAD are computed
/// there, so a query is one read.
///
/// `Double` because these are statistics of logarithms, never money.
public struct RobustStatistics: Sendable, Hashable, Codable {
    /// The scale of the MAD that makes it estimate a normal distribution's standard deviation.
    public static let normalConsistency = 1.482_602_218_505_602

    public let capacity: Int
    /// Values in arrival order; once full, `oldestIndex` is overwritten next.
    private var ring: [Double] = []
    private var oldestIndex = 0
    /// The same values, ascending.
    private var sorted: [Double] = []
    /// Every value ever added, so minimum-history checks count past the window.
    public private(set) var totalCount: Int = 0

    public init(capacity: Int) {
        precondition((3...128).contains(capacity), "a robust window holds 3 to 128 values")
        self.capacity = capacity
    }

    /// The median of the window, kept up to date by `add`: Sentinel reads it several times per payment (each rule's
    /// z-score and the learning gate) and adds once, so a query must not recompute it.
    public private(set) var median: Double = 0
    /// The median of |x - median|, kept up to date by `add` like `median`.
    public private(set) var medianAbsoluteDeviation: Double = 0

    public var count: Int { sorted.count }

    public mutating func add(_ value: Double) {
        totalCount += 1
        if ring.count < capacity {
            ring.append(value)
        } else {
            let leaving = ring[oldestIndex]
            ring[oldestIndex] = value
            oldestIndex = (oldestIndex + 1) % capacity
            sorted.remove(at: Self.lowerBound(of: leaving, in: sorted))
        }
        sorted.insert(value, at: Self.lowerBound(of: value, in: sorted))
        median = Self.median(of: sorted)
        medianAbsoluteDeviation = Self.medianAbsoluteDeviation(of: sorted, around: median)
    }

    private static func median(of sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The deviations below the median, read from the middle outwards, and those above it are each ascending, so
    /// merging the two up to the middle rank finds it without sorting (and without storing the deviations).
    private static func medianAbsoluteDeviation(of sorted: [Double], around center: Double) -> Double {
        let count = sorted.count
        guard count > 1 else { return 0 }
        var below = lowerBound(of: center, in: sorted) - 1  // walks down
        var above = below + 1  // walks up
        var previous = 0.0, current = 0.0
        for _ in 0...(count / 2) {
            let down = below >= 0 ? center - sorted[below] : .infinity
            let up = above < count ? sorted[above] - center : .infinity
            previous = current
            if down <= up {
                current = down
                below -= 1
            } else {
                current = up
                above += 1
            }
        }
        // The loop stopped at rank count / 2; for an even count the median is the mean of that rank and the one before.
        return count % 2 == 1 ? current : (previous + current) / 2
    }

    /// Robust z-score: (value - median) / (1.4826 MAD), the scale never below `scaleFloor` (a key that always pays
    /// the same price has a MAD of 0, and a cent more must not look infinitely unusual).
    public func zScore(_ value: Double, scaleFloor: Double) -> Double {
        (value - median) / max(Self.normalConsistency * medianAbsoluteDeviation, scaleFloor)
    }

    /// The z-score of the mean of `earlier` values and `value`, scaled by sqrt(n) as for a sample mean.
    func zScore(ofMean earlier: (sum: Double, count: Int), plus value: Double, scaleFloor: Double) -> Double {
        let count = Double(earlier.count + 1)
        return zScore((earlier.sum + value) / count, scaleFloor: scaleFloor) * count.squareRoot()
    }

    private enum CodingKeys: String, CodingKey {
        case capacity, ring, oldestIndex, sorted, totalCount
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        capacity = try container.decode(Int.self, forKey: .capacity)
        ring = try container.decode([Double].self, forKey: .ring)
        oldestIndex = try container.decode(Int.self, forKey: .oldestIndex)
        sorted = try container.decode([Double].self, forKey: .sorted)
        totalCount = try container.decode(Int.self, forKey: .totalCount)
        guard (3...128).contains(capacity), ring.count <= capacity, sorted.count == ring.count,
            ring.isEmpty || (0..<ring.count).contains(oldestIndex)
        else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "inconsistent robust window"))
        }
        median = Self.median(of: sorted)
        medianAbsoluteDeviation = Self.medianAbsoluteDeviation(of: sorted, around: median)
    }

    private static func lowerBound(of value: Double, in values: [Double]) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
