/// The last few allowed amounts of a key and their exact sum: the "rolling average" of the amount rule, compared in
/// integers (`amount * count * 10^6 > multiple * sum`), never as a floating-point mean.
struct RollingAmounts: Sendable, Hashable, Codable {
    private var ring: [UInt128] = []
    private var oldestIndex = 0
    private(set) var sum: UInt128 = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a rolling window holds at least one amount")
        self.capacity = capacity
    }

    var count: Int { ring.count }

    mutating func add(_ amount: UInt128) {
        if ring.count < capacity {
            ring.append(amount)
        } else {
            sum -= ring[oldestIndex]
            ring[oldestIndex] = amount
            oldestIndex = (oldestIndex + 1) % capacity
        }
        // A sum past 2^128 base units cannot happen with real money; saturating keeps the comparison conservative.
        let (total, overflow) = sum.addingReportingOverflow(amount)
        sum = overflow ? .max : total
    }

    /// Whether `amount` exceeds `multipleMillionths / 10^6` times the mean of the window, exactly.
    func isExceeded(by amount: UInt128, multipleMillionths: UInt128) -> Bool {
        guard !ring.isEmpty else { return false }
        return ExactComparison.isGreater(amount, times: UInt128(ring.count) * 1_000_000, than: sum, times: multipleMillionths)
    }
}

/// Comparisons of products of two `UInt128`s without overflow, through their 256-bit full-width products.
enum ExactComparison {
    /// `a * b > c * d`.
    static func isGreater(_ a: UInt128, times b: UInt128, than c: UInt128, times d: UInt128) -> Bool {
        let left = a.multipliedFullWidth(by: b)
        let right = c.multipliedFullWidth(by: d)
        return (left.high, left.low) > (right.high, right.low)
    }

    /// `a * b < c * d`.
    static func isLess(_ a: UInt128, times b: UInt128, than c: UInt128, times d: UInt128) -> Bool {
        isGreater(c, times: d, than: a, times: b)
    }
}
