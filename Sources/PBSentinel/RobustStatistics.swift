/// Median and MAD (median absolute deviation) of the last `capacity` values, with bounded memory.
///
/// Why a window and not P² quantile markers: the MAD is the median of |x - median|, a second quantile over values
/// that move whenever the median moves, which P² cannot track without keeping the values anyway; and a window of a
/// few dozen values forgets old habits by itself. The window is kept twice: in arrival order (a ring, to know which
/// value leaves) and sorted (so the median is one read and the MAD one merge of the two halves' deviations), which
/// makes an update O(capacity) with capacity <= 128, a few hundred nanoseconds, and a query O(capacity) at worst.
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
    }

    public var median: Double {
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The median of |x - median|: the deviations below the median, read from the middle outwards, and those above
    /// it are each ascending, so merging the two until the middle rank finds it without sorting.
    public var medianAbsoluteDeviation: Double {
        let count = sorted.count
        guard count > 1 else { return 0 }
        let center = median
        var below = Self.lowerBound(of: center, in: sorted) - 1  // walks down
        var above = below + 1  // walks up
        var deviations: [Double] = []
        deviations.reserveCapacity(count / 2 + 1)
        while deviations.count <= count / 2 {
            let down = below >= 0 ? center - sorted[below] : .infinity
            let up = above < count ? sorted[above] - center : .infinity
            if down <= up {
                deviations.append(down)
                below -= 1
            } else {
                deviations.append(up)
                above += 1
            }
        }
        let middle = count / 2
        return count % 2 == 1 ? deviations[middle] : (deviations[middle - 1] + deviations[middle]) / 2
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
