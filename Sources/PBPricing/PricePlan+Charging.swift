import PBCore

/// The pricing engine: usage in, an exact breakdown out.
///
/// Per unit of the event: find the price (by dimension), split a time interval wherever a peak window or an override
/// starts or ends (and at a quote's edges), walk the parts in order along the period's cumulative quantity (so free
/// units, tiers and packages continue from `priorQuantity`), price each part with the multiplier in force at its
/// start, then top up to the minimum. Every line is exact; the charge rounds only its total, down.
extension PricePlan {
    /// Prices `event` with the oracle `overrides` that apply to this route (`RateOracle.overrides(forService:route:)`).
    ///
    /// With `quote`, usage inside the quote's validity `[quotedAt, expiresAt)` is priced with the overrides the quote
    /// was made with, so a later push by the oracle does not change an honoured price.
    public func charge(
        _ event: UsageEvent, overrides: [RateOverride] = [], honouring quote: PriceQuote? = nil
    ) throws(PricingError) -> Charge {
        guard abs(event.at.milliseconds) < Self.latestMilliseconds else {
            throw .invalidUsage("usage time \(event.at) is outside the years 1653...9999")
        }
        var lines: [ChargeLine] = []
        lines.reserveCapacity(event.quantities.count)
        var windows = WindowMemo()
        for usage in event.quantities {
            try appendLines(for: usage, of: event, overrides: overrides, quote: quote, windows: &windows, to: &lines)
        }
        return try Charge(asset: asset, lines: lines)
    }

    /// 10000-01-01T00:00:00Z: far enough for any usage, near enough that time-zone lookups stay meaningful.
    static var latestMilliseconds: Int64 { 253_402_300_800_000 }

    /// What prices a unit at one instant: the peak window and the override in force.
    struct Terms {
        var multiplier: Multiplier = .one
        var peakWindow: String?
        var overrideId: String?
        /// An override's absolute price, which replaces the charge model and ignores peak windows.
        var absolutePrice: Rate?
    }

    /// The peak window at the last instant asked about: the units of one event (input and output tokens) share their
    /// instant, and looking a window up costs a few time-zone offset lookups.
    struct WindowMemo {
        var instant: Int64?
        var windowIndex: Int?

        mutating func windowIndex(in schedule: PeakSchedule, at instant: Int64) -> Int? {
            if self.instant != instant {
                self.instant = instant
                windowIndex = schedule.windowIndex(at: instant)
            }
            return windowIndex
        }
    }

    func terms(
        for price: UnitPrice, atMilliseconds instant: Int64, overrides: [RateOverride], quote: PriceQuote?,
        windows: inout WindowMemo
    ) -> Terms {
        let time = UnixTime(milliseconds: instant)
        let inForce = quote.map { $0.isHonoured(at: time) ? $0.overrides : overrides } ?? overrides
        let override = overrides.isEmpty && quote == nil
            ? nil : RateOverride.effective(among: inForce, unit: price.unit, at: time)
        var terms = Terms(overrideId: override?.id)
        if case .price(let rate) = override?.adjustment {
            terms.absolutePrice = rate
            return terms
        }
        if let schedule = peakSchedule, let index = windows.windowIndex(in: schedule, at: instant) {
            terms.peakWindow = schedule.windows[index].name
            terms.multiplier = schedule.windows[index].multiplier
        }
        if case .multiplier(let factor) = override?.adjustment { terms.multiplier = terms.multiplier.combined(with: factor) }
        return terms
    }

    /// The parts of a usage priced separately: one for a count; a time interval cut at every edge inside it.
    func segments(
        of usage: UsageQuantity, at start: UnixTime, overrides: [RateOverride], quote: PriceQuote?
    ) throws(PricingError) -> [(start: Int64, length: UInt64)] {
        guard usage.unit.isTime, usage.quantity > 0 else { return [(start.milliseconds, usage.quantity)] }
        let (end, overflow) = start.milliseconds.addingReportingOverflow(Int64(clamping: usage.quantity))
        guard !overflow, usage.quantity <= UInt64(Int64.max), end < Self.latestMilliseconds else {
            throw .invalidUsage("the interval ends after the year 9999")
        }
        let range = start.milliseconds..<end
        var edges = peakSchedule?.edges(inside: range) ?? []
        let relevant = (overrides + (quote?.overrides ?? [])).filter { $0.unit == nil || $0.unit == usage.unit }
        let quoteEdges = quote.map { [$0.quotedAt, $0.expiresAt] } ?? []
        for edge in relevant.flatMap(\.edges) + quoteEdges where range.contains(edge.milliseconds) {
            edges.append(edge.milliseconds)
        }
        let cuts = Array(Set(edges + [range.lowerBound, range.upperBound])).sorted()
        return zip(cuts, cuts.dropFirst()).map { ($0, UInt64($1 - $0)) }
    }

    private func appendLines(
        for usage: UsageQuantity, of event: UsageEvent, overrides: [RateOverride], quote: PriceQuote?,
        windows: inout WindowMemo, to lines: inout [ChargeLine]
    ) throws(PricingError) {
        let price = try price(of: usage.unit, dimensions: event.dimensions)
        let (end, overflow) = usage.priorQuantity.addingReportingOverflow(usage.quantity)
        guard !overflow else { throw .overflow }
        let free = price.meteredFreeUnits
        let billable = (max(usage.priorQuantity, free) - free)..<(max(end, free) - free)
        if price.model.kind == .volume, billable.lowerBound > 0 {
            throw .invalidUsage(
                "'\(usage.unit)' has volume pricing, which prices one charge's whole quantity: pass priorQuantity 0")
        }
        let firstLine = lines.count
        var position = usage.priorQuantity
        for segment in try segments(of: usage, at: event.at, overrides: overrides, quote: quote) {
            let terms = terms(
                for: price, atMilliseconds: segment.start, overrides: overrides, quote: quote, windows: &windows)
            let builder = LineBuilder(
                price: price, decimals: asset.decimals, terms: terms,
                interval: usage.unit.isTime ? segment.start..<(segment.start + Int64(segment.length)) : nil)
            let segmentEnd = position + segment.length
            let freeQuantity = min(segmentEnd, free) - min(position, free)
            if freeQuantity > 0 { lines.append(builder.freeLine(meteredQuantity: freeQuantity)) }
            let part = (max(position, free) - free)..<(max(segmentEnd, free) - free)
            if !part.isEmpty {
                try builder.appendModelLines(for: part, chargeQuantity: billable.upperBound - billable.lowerBound, to: &lines)
            }
            position = segmentEnd
        }
        if let minimum = price.minimum, !billable.isEmpty {
            var sum = ExactAmount.zero(decimals: asset.decimals)
            for line in lines[firstLine...] { sum = try sum.adding(line.exactAmount) }
            let floor = ExactAmount(minimum)
            if sum < floor {
                let builder = LineBuilder(price: price, decimals: asset.decimals, terms: Terms(), interval: nil)
                lines.append(builder.minimumLine(shortfall: floor.subtracting(sum)))
            }
        }
    }
}
