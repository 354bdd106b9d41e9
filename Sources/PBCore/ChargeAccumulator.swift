/// Turns metered usage (tokens, calls, seconds) times a `Rate` into whole base units, carrying fractions.
///
/// Rounding rule: each charge computes its exact value in scaled units (`10^-(decimals + 12)` of a token),
/// adds the remainder carried from earlier charges, charges the whole base units of that sum (rounding DOWN)
/// and carries the sub-unit rest to the next charge. So after any sequence of charges:
///
/// - `charged * 10^12 + remainderScaledUnits == exact total` (no value created or lost),
/// - `0 <= remainderScaledUnits < 10^12` (less than one base unit is ever owed but uncharged),
/// - `charged == floor(exact total)` (identical to pricing the whole session at once).
///
/// Rounding down means the payer is never charged for value they have not yet consumed; `close()` reports the
/// final fraction, which the payer keeps. A charge that would overflow throws and leaves the state unchanged.
///
/// A value type: copy it to snapshot, and persist it with `Codable` so the carried remainder survives restarts.
public struct ChargeAccumulator: Hashable, Sendable {
    /// Decimal places of the asset being charged; every rate must match.
    public let decimals: Int
    /// Whole base units charged so far.
    public private(set) var charged: Amount
    /// The carried sub-unit remainder, in scaled units; always below `10^12` (one base unit).
    public private(set) var remainderScaledUnits: UInt128
    /// How many charges have been applied, including zero-valued ones.
    public private(set) var chargeCount: UInt64

    public init(asset: Asset) {
        self.decimals = asset.decimals
        self.charged = .zero(of: asset)
        self.remainderScaledUnits = 0
        self.chargeCount = 0
    }

    /// Restores persisted state; `remainderScaledUnits` must be below one base unit.
    public init(charged: Amount, remainderScaledUnits: UInt128, chargeCount: UInt64) throws(MoneyError) {
        guard remainderScaledUnits < Rate.scaledUnitsPerBaseUnit else { throw .invalidRemainder }
        self.decimals = charged.decimals
        self.charged = charged
        self.remainderScaledUnits = remainderScaledUnits
        self.chargeCount = chargeCount
    }

    /// Charges `quantity` units of usage at `rate` and returns the whole base units to collect now (possibly zero).
    ///
    /// Throws `decimalsMismatch` if the rate is for different decimals, `overflow` if `rate * quantity` or the
    /// running total does not fit; on any error the accumulator is unchanged.
    @discardableResult
    public mutating func charge(_ quantity: UInt64, at rate: Rate) throws(MoneyError) -> Amount {
        guard rate.decimals == decimals else { throw .decimalsMismatch(decimals, rate.decimals) }
        // multipliedReportingOverflow is the 128-bit hardware-style check; a full-width product would only tell
        // us the same thing (high half non-zero) more slowly.
        let (product, productOverflow) = rate.scaledUnits.multipliedReportingOverflow(by: UInt128(quantity))
        let (exact, carryOverflow) = product.addingReportingOverflow(remainderScaledUnits)
        if productOverflow || carryOverflow { throw .overflow }
        let (whole, rest) = exact.quotientAndRemainder(dividingBy: Rate.scaledUnitsPerBaseUnit)
        let (newCharged, chargedOverflow) = charged.baseUnits.addingReportingOverflow(whole)
        if chargedOverflow { throw .overflow }
        charged = Amount(unchecked: newCharged, decimals: decimals)
        remainderScaledUnits = rest
        chargeCount &+= 1
        return Amount(unchecked: whole, decimals: decimals)
    }

    /// The final statement: what was charged and the fraction of a base unit left uncharged (kept by the payer).
    public func close() -> Closing {
        Closing(charged: charged, unchargedScaledUnits: remainderScaledUnits)
    }

    /// The outcome of a metered session.
    public struct Closing: Hashable, Sendable {
        /// Whole base units charged over the session: `floor(exact total)`.
        public let charged: Amount
        /// The sub-unit rest, in `10^-(decimals + 12)` of a token; never charged, never invented.
        public let unchargedScaledUnits: UInt128

        /// The uncharged rest as a decimal of whole tokens, e.g. `"0.00000099"`.
        public var unchargedDecimalString: String {
            DecimalString.format(
                unchargedScaledUnits, fractionDigits: charged.decimals + Rate.scaleDigits, trimmed: true)
        }

        /// The exact value consumed: `charged` plus the uncharged rest, as a decimal of whole tokens.
        public var exactTotalDecimalString: String {
            // charged * 10^12 + rest may exceed UInt128, so join the digits instead of adding.
            let restDigits = String(unchargedScaledUnits)
            let paddedRest = String(repeating: "0", count: Rate.scaleDigits - restDigits.count) + restDigits
            return DecimalString.format(
                digits: String(charged.baseUnits) + paddedRest,
                fractionDigits: charged.decimals + Rate.scaleDigits, trimmed: true)
        }
    }
}

/// Encoded as `{"charged": {...Amount...}, "remainderScaledUnits": "150000000000", "chargeCount": 3}`.
extension ChargeAccumulator: Codable {
    private enum CodingKeys: String, CodingKey { case charged, remainderScaledUnits, chargeCount }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let remainderDigits = try container.decode(String.self, forKey: .remainderScaledUnits)
        try self.init(
            charged: container.decode(Amount.self, forKey: .charged),
            remainderScaledUnits: DecimalString.parse(remainderDigits, fractionDigits: 0),
            chargeCount: container.decode(UInt64.self, forKey: .chargeCount))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(charged, forKey: .charged)
        try container.encode(String(remainderScaledUnits), forKey: .remainderScaledUnits)
        try container.encode(chargeCount, forKey: .chargeCount)
    }
}
