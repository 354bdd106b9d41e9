import PBCore

/// The breakdown as JSON for receipts, invoices and the management API (not used while pricing): money and
/// multipliers as exact decimal strings, exact amounts also as their integer count of exact units.
///
/// ```json
/// {"asset": "USDC", "decimals": 6, "total": "2.375", "exactTotal": {...}, "remainderUnits": "0",
///  "lines": [{"unit": "hour", "kind": "usage", "quantity": 3600000, "meteredQuantity": 3600000, "rate": "0.5",
///             "multiplier": "1", "intervalStart": 1748876400000, "intervalEnd": 1748880000000,
///             "exactAmount": {"decimal": "0.5", "units": "1800000000000000000000000000000000000"}}, ...]}
/// ```
extension Charge: Encodable {
    private enum CodingKeys: String, CodingKey { case asset, decimals, lines, exactTotal, total, remainderUnits }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(asset.symbol, forKey: .asset)
        try container.encode(asset.decimals, forKey: .decimals)
        try container.encode(lines, forKey: .lines)
        try container.encode(exactTotal, forKey: .exactTotal)
        try container.encode(total.decimalString, forKey: .total)
        try container.encode(remainder.unitsString, forKey: .remainderUnits)
    }
}

extension ChargeLine: Encodable {
    private enum CodingKeys: String, CodingKey {
        case unit, kind, dimension, quantity, meteredQuantity, rate, multiplier, tier, peakWindow, overrideId
        case intervalStart, intervalEnd, exactAmount
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(unit.name, forKey: .unit)
        try container.encode(kind.rawValue, forKey: .kind)
        try container.encodeIfPresent(dimension.map { [$0.key: $0.value] }, forKey: .dimension)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(meteredQuantity, forKey: .meteredQuantity)
        try container.encodeIfPresent(rate?.decimalString, forKey: .rate)
        try container.encode(multiplier.decimalString, forKey: .multiplier)
        try container.encodeIfPresent(tier, forKey: .tier)
        try container.encodeIfPresent(peakWindow, forKey: .peakWindow)
        try container.encodeIfPresent(overrideId, forKey: .overrideId)
        try container.encodeIfPresent(intervalStart?.milliseconds, forKey: .intervalStart)
        try container.encodeIfPresent(intervalEnd?.milliseconds, forKey: .intervalEnd)
        try container.encode(exactAmount, forKey: .exactAmount)
    }
}

/// `{"decimal": "2.625", "units": "9450000…"}`: the decimal (with a trailing `…` when it does not terminate) for
/// people, the exact count of units (one base unit = `ExactAmount.unitsPerBaseUnit`) for machines.
extension ExactAmount: Encodable {
    private enum CodingKeys: String, CodingKey { case decimal, units }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(decimalString, forKey: .decimal)
        try container.encode(unitsString, forKey: .units)
    }
}
