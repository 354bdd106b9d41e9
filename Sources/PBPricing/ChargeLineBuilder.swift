import PBCore

/// Makes the exact lines of one part of one unit's usage under one set of terms.
///
/// Exact amounts follow `ExactAmount`'s scale: a rate in scaled units times a metered quantity times the unit's
/// weight (3,600,000 for a count, 3,600 for a millisecond of a per-second rate, 1 for a millisecond of an hourly
/// rate) times the multiplier in trillionths. Per-charge prices (flat fees, packages) take the count weight.
struct LineBuilder {
    let price: UnitPrice
    /// Decimal places of the plan's asset.
    let decimals: Int
    let terms: PlanTerms
    /// The milliseconds this part covers, for time units.
    let interval: Range<Int64>?

    typealias PlanTerms = PricePlan.Terms

    private static let countWeight = UInt128(ExactAmount.millisecondsPerHour)

    /// Adds the lines of the billable part `part` (positions after free units along the period). `chargeQuantity`
    /// is the billable quantity of the whole charge, which picks the tier of a volume model.
    func appendModelLines(
        for part: Range<UInt64>, chargeQuantity: UInt64, to lines: inout [ChargeLine]
    ) throws(PricingError) {
        let quantity = part.upperBound - part.lowerBound
        if let absolutePrice = terms.absolutePrice {
            lines.append(try usageLine(quantity: quantity, rate: absolutePrice, tier: nil))
            return
        }
        let model = price.model
        switch model.kind {
        case .standard:
            if let rate = model.rate { lines.append(try usageLine(quantity: quantity, rate: rate, tier: nil)) }
        case .graduated:
            for (index, bounds) in price.meteredTierBounds.enumerated() {
                let tier = model.tiers[index]
                if let flatFee = tier.flatFee, part.contains(bounds.lower) {
                    lines.append(try flatFeeLine(flatFee, tier: index))
                }
                let overlapStart = max(part.lowerBound, bounds.lower)
                let overlapEnd = min(part.upperBound, bounds.upper ?? .max)
                if overlapEnd > overlapStart {
                    lines.append(try usageLine(quantity: overlapEnd - overlapStart, rate: tier.rate, tier: index))
                }
                if let upper = bounds.upper, upper >= part.upperBound { break }
            }
        case .volume:
            // Tiers' `upTo` is inclusive: a total of exactly `upTo` units is still in that tier.
            let index = price.meteredTierBounds.firstIndex { chargeQuantity <= ($0.upper ?? .max) } ?? 0
            let tier = model.tiers[index]
            if let flatFee = tier.flatFee, part.lowerBound == 0 { lines.append(try flatFeeLine(flatFee, tier: index)) }
            lines.append(try usageLine(quantity: quantity, rate: tier.rate, tier: index))
        case .package:
            guard let packagePrice = model.packagePrice else { return }
            let size = price.meteredPackageSize
            // Packages are counted along the period, a started package is a whole one (rounded up), and a part that
            // falls inside an already started package costs nothing more.
            let packages = Self.packagesStarted(upTo: part.upperBound, size: size)
                - Self.packagesStarted(upTo: part.lowerBound, size: size)
            let exact = try exact(packagePrice.scaledUnits, times: packages, weight: Self.countWeight)
            lines.append(line(.package, quantity: packages, metered: quantity, rate: packagePrice, tier: nil, exact))
        }
    }

    /// Packages begun by the first `quantity` units: `ceil(quantity / size)`.
    static func packagesStarted(upTo quantity: UInt64, size: UInt64) -> UInt64 {
        let (whole, rest) = quantity.quotientAndRemainder(dividingBy: size)
        return rest == 0 ? whole : whole + 1
    }

    func freeLine(meteredQuantity: UInt64) -> ChargeLine {
        line(.free, quantity: meteredQuantity, metered: meteredQuantity, rate: nil, tier: nil, .zero(decimals: decimals))
    }

    func minimumLine(shortfall: ExactAmount) -> ChargeLine {
        line(.minimum, quantity: 1, metered: 0, rate: nil, tier: nil, shortfall)
    }

    private func usageLine(quantity: UInt64, rate: Rate, tier: Int?) throws(PricingError) -> ChargeLine {
        let exact = try exact(rate.scaledUnits, times: quantity, weight: price.unit.exactWeight)
        return line(.usage, quantity: quantity, metered: quantity, rate: rate, tier: tier, exact)
    }

    private func flatFeeLine(_ fee: Amount, tier: Int) throws(PricingError) -> ChargeLine {
        let feeRate: Rate
        do { feeRate = try Rate(perUnit: fee) } catch { throw .overflow }
        let exact = try exact(feeRate.scaledUnits, times: 1, weight: Self.countWeight)
        return line(.flatFee, quantity: 1, metered: 0, rate: feeRate, tier: tier, exact)
    }

    /// `scaledUnits x quantity x weight x multiplier` exact units, checked.
    private func exact(_ scaledUnits: UInt128, times quantity: UInt64, weight: UInt128) throws(PricingError) -> ExactAmount {
        // weight <= 3.6e6 and a multiplier <= 1e24 trillionths, so their product (<= 3.6e30) fits in 128 bits.
        try ExactAmount(product: scaledUnits, UInt128(quantity), decimals: decimals)
            .multiplied(by: weight * terms.multiplier.trillionths)
    }

    private func line(
        _ kind: ChargeLine.Kind, quantity: UInt64, metered: UInt64, rate: Rate?, tier: Int?, _ exact: ExactAmount
    ) -> ChargeLine {
        ChargeLine(
            unit: price.unit, kind: kind, dimension: price.dimension, quantity: quantity, meteredQuantity: metered,
            rate: rate, multiplier: kind == .minimum ? .one : terms.multiplier, tier: tier,
            peakWindow: kind == .minimum ? nil : terms.peakWindow, overrideId: kind == .minimum ? nil : terms.overrideId,
            intervalStart: interval.map { UnixTime(milliseconds: $0.lowerBound) },
            intervalEnd: interval.map { UnixTime(milliseconds: $0.upperBound) },
            exactAmount: exact)
    }
}
