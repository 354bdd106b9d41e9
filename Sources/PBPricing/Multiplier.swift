import PBCore

/// An exact decimal factor on a price: a peak window's surcharge (`1.5`) or an oracle's discount (`0.8`).
///
/// Configured multipliers have at most 6 fractional digits and lie in `0.000001...1000000`. The value is held in
/// trillionths (10^-12) so that a peak multiplier times an oracle multiplier, each of at most 6 digits, is still
/// exact; that product is the only one ever formed, which is why the exact-amount scale (`ExactAmount`) needs just
/// 12 digits for multipliers. Never a `Double`.
public struct Multiplier: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Fractional digits a configured multiplier may have.
    public static let configuredFractionDigits = 6
    /// Fractional digits of the stored value (`trillionths`).
    public static let storedFractionDigits = 12
    static let trillionthsPerOne: UInt128 = 1_000_000_000_000
    static let millionthsPerOne: UInt128 = 1_000_000
    /// The largest configurable multiplier: a million-fold surcharge is already far beyond any real tariff.
    static let maximumMillionths: UInt128 = 1_000_000 * millionthsPerOne

    /// `1`, the factor of off-peak time and of usage without an override.
    public static let one = Multiplier(uncheckedTrillionths: trillionthsPerOne)

    /// The value in 10^-12: `1.5` is 1,500,000,000,000.
    public let trillionths: UInt128

    /// A configured multiplier of `millionths` 10^-6; zero and values above 1,000,000 are rejected.
    public init(millionths: UInt64) throws(PricingError) {
        guard millionths > 0 else {
            throw .invalid(nil, "multiplier is zero; remove the window or override instead of pricing usage at nothing")
        }
        guard UInt128(millionths) <= Self.maximumMillionths else {
            throw .invalid(nil, "multiplier is above the maximum of 1000000")
        }
        trillionths = UInt128(millionths) * Self.millionthsPerOne
    }

    /// Parses an exact decimal such as `"1.5"` or `"0.875"` (same grammar as money, at most 6 fractional digits).
    public init(parsing text: String) throws(PricingError) {
        let millionths: UInt128
        do {
            millionths = try DecimalString.parse(text, fractionDigits: Self.configuredFractionDigits)
        } catch {
            throw .invalid(nil, "multiplier '\(text)': \(error)")
        }
        guard millionths <= Self.maximumMillionths else {
            throw .invalid(nil, "multiplier '\(text)' is above the maximum of 1000000")
        }
        try self.init(millionths: UInt64(millionths))
    }

    init(uncheckedTrillionths: UInt128) { trillionths = uncheckedTrillionths }

    /// This factor applied after `other`; exact because both have at most 6 fractional digits when configured.
    func combined(with other: Multiplier) -> Multiplier {
        if other.trillionths == Self.trillionthsPerOne { return self }
        if trillionths == Self.trillionthsPerOne { return other }
        // Each is at most 10^6 * 10^12, so the product (at most 10^36) fits; dividing by 10^12 is exact because each
        // factor is a multiple of 10^6.
        return Multiplier(uncheckedTrillionths: trillionths * other.trillionths / Self.trillionthsPerOne)
    }

    public var isOne: Bool { trillionths == Self.trillionthsPerOne }

    /// Canonical decimal, e.g. `"1.5"`.
    public var decimalString: String {
        DecimalString.format(trillionths, fractionDigits: Self.storedFractionDigits, trimmed: true)
    }

    public var description: String { decimalString }

    public static func < (left: Multiplier, right: Multiplier) -> Bool { left.trillionths < right.trillionths }
}
