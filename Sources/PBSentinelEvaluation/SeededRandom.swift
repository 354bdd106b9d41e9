import Foundation

/// SplitMix64: a small, fast, fully deterministic generator, so that a seed names one exact traffic trace on every
/// machine and Swift version (the standard library's generators promise neither).
///
/// The samplers below use `Double`: they shape simulated traffic (gaps, token counts), never money; an amount is
/// rounded to whole base units as soon as it is drawn.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// An independent stream for one simulated agent: the trace of agent i does not depend on how many others exist.
    init(seed: UInt64, stream: UInt64) {
        var mixer = SeededRandom(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next() ^ stream
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    mutating func integer(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Standard normal by Box-Muller.
    mutating func normal() -> Double {
        let first = max(unit(), 1e-300)
        return (-2 * log(first)).squareRoot() * cos(2 * Double.pi * unit())
    }

    /// Log-normal with the given median and sigma of its logarithm.
    mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(sigma * normal()) }

    /// Exponential with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * log(max(1 - unit(), 1e-300)) }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
