import PBCore

/// When an account counts as low: at or below `fraction` of a reference amount.
///
/// The reference is `fixedReference` when the account has one, otherwise the account's *refill level*: its balance
/// right after its most recent top-up. So 100 U topped up onto an empty account with the default 10% alerts at
/// 10 U remaining; topping up again moves the mark to 10% of the new level. The threshold is rounded DOWN to base
/// units (a reference of 0.000015 at 10% is 0.000001). A fraction of 0 turns the alert off.
public struct LowBalancePolicy: Hashable, Sendable {
    /// Parts per million in 1: 100,000 is 10%.
    public static let partsPerMillion: UInt32 = 1_000_000
    public static let defaultFractionPartsPerMillion: UInt32 = 100_000

    public let fractionPartsPerMillion: UInt32
    public let fixedReference: Amount?

    public init(fractionPartsPerMillion: UInt32 = defaultFractionPartsPerMillion, fixedReference: Amount? = nil)
        throws(MeteringError)
    {
        guard fractionPartsPerMillion <= Self.partsPerMillion else {
            throw .invalid("lowBalanceFraction", "must be between 0 and 1")
        }
        self.fractionPartsPerMillion = fractionPartsPerMillion
        self.fixedReference = fixedReference
    }

    /// Parses a decimal fraction such as `"0.1"` (at most 6 decimals, at most 1).
    public init(fraction text: String, fixedReference: Amount? = nil) throws(MeteringError) {
        let parts: UInt128
        do { parts = try DecimalString.parse(text, fractionDigits: 6) } catch {
            throw .invalid("lowBalanceFraction", "'\(text.prefix(40))' is not a decimal fraction with at most 6 decimals")
        }
        guard parts <= UInt128(Self.partsPerMillion) else { throw .invalid("lowBalanceFraction", "must be at most 1") }
        try self.init(fractionPartsPerMillion: UInt32(parts), fixedReference: fixedReference)
    }

    public var fractionString: String {
        DecimalString.format(UInt128(fractionPartsPerMillion), fractionDigits: 6, trimmed: true)
    }

    public var isEnabled: Bool { fractionPartsPerMillion > 0 }

    /// `floor(reference x fraction)`, exact for any amount (the product is taken 256 bits wide).
    public func threshold(refillLevel: Amount) -> Amount {
        let reference = fixedReference ?? refillLevel
        let product = reference.baseUnits.multipliedFullWidth(by: UInt128(fractionPartsPerMillion))
        let (quotient, _) = UInt128(Self.partsPerMillion).dividingFullWidth(product)
        // The quotient is at most the reference (the fraction is at most 1), so it fits and the decimals are valid.
        return try! Amount(baseUnits: quotient, decimals: reference.decimals)
    }
}
