import PBCore
import PBPricing

/// Shared helpers: USDC prices from decimal strings and instants from calendar dates, so tests read like the docs.
enum Fixtures {
    static func rate(_ text: String) throws -> Rate { try Asset.usdc.rate(text) }

    static func amount(_ text: String) throws -> Amount { try Asset.usdc.amount(text) }

    /// The instant of a UTC date and time (proleptic Gregorian; days-from-civil, so no Foundation in the fixture).
    static func utc(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0) -> UnixTime {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return UnixTime(seconds: days * 86_400 + hour * 3_600 + minute * 60)
    }

    static let hourMilliseconds: Int64 = 3_600_000

    /// A plan of one standard price for `unit`, optionally with a peak schedule.
    static func standardPlan(
        _ unit: PricingUnit, rate text: String, schedule: PeakSchedule? = nil
    ) throws -> PricePlan {
        try PricePlan(
            asset: .usdc, prices: [UnitPrice(unit: unit, model: .standard(rate: rate(text)))], peakSchedule: schedule)
    }

    /// One window in Europe/Berlin, every day unless `days` says otherwise.
    static func berlinSchedule(
        name: String = "peak", from: String, to: String, multiplier: String,
        days: Set<DayOfWeek> = Set(DayOfWeek.allCases)
    ) throws -> PeakSchedule {
        let window = try PeakWindow(
            name: name, days: days, from: TimeOfDay(parsing: from), to: TimeOfDay(parsing: to),
            multiplier: Multiplier(parsing: multiplier))
        return try PeakSchedule(timeZone: "Europe/Berlin", windows: [window])
    }

    /// The sum of a charge's lines, computed here independently of `Charge`.
    static func sumOfLines(_ charge: Charge) throws -> ExactAmount {
        var sum = ExactAmount.zero(decimals: charge.asset.decimals)
        for line in charge.lines { sum = try sum.adding(line.exactAmount) }
        return sum
    }

    /// Checks the breakdown invariant: lines add up to the exact total, which is the rounded total plus the remainder.
    static func isConsistent(_ charge: Charge) throws -> Bool {
        let sum = try sumOfLines(charge)
        let rebuilt = try ExactAmount(charge.total).adding(charge.remainder)
        let oneBaseUnit = ExactAmount(try Amount(baseUnits: 1, decimals: charge.asset.decimals))
        return sum == charge.exactTotal && rebuilt == sum && charge.remainder < oneBaseUnit
    }
}
