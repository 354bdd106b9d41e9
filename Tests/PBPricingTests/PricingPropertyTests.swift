import PBCore
import PBPricing
import PropertyBased
import Testing

/// Invariants over random usage: breakdowns add up, and splitting usage anywhere and charging the parts costs
/// exactly what charging the whole costs (exact amounts, before rounding).
@Suite struct PricingPropertyTests {
    /// Starts within a week that holds the spring-forward day in Europe/Berlin (30 March 2025), under two peak
    /// windows a day, one of them wrapping midnight.
    private static let weekStart = Fixtures.utc(2025, 3, 27).milliseconds
    private static let weekMilliseconds: Int64 = 7 * 86_400_000

    private static func peakSchedule() throws -> PeakSchedule {
        try PeakSchedule(
            timeZone: "Europe/Berlin",
            windows: [
                PeakWindow(
                    name: "day", days: [.monday, .tuesday, .wednesday, .thursday, .friday],
                    from: TimeOfDay(parsing: "09:00"), to: TimeOfDay(parsing: "17:30"),
                    multiplier: Multiplier(parsing: "1.333333")),
                PeakWindow(
                    name: "night", days: Set(DayOfWeek.allCases), from: TimeOfDay(parsing: "22:00"),
                    to: TimeOfDay(parsing: "06:00"), multiplier: Multiplier(parsing: "0.7")),
            ])
    }

    /// An hourly price under each model, with free units, all with peak pricing.
    private static func plans() throws -> [PricePlan] {
        let tiers = [
            PriceTier(upTo: 2, rate: try Fixtures.rate("0.37"), flatFee: try Fixtures.amount("0.1")),
            PriceTier(upTo: 30, rate: try Fixtures.rate("0.2900000000007")),
            PriceTier(upTo: nil, rate: try Fixtures.rate("0.13"), flatFee: try Fixtures.amount("1")),
        ]
        let models: [ChargeModel] = [
            .standard(rate: try Fixtures.rate("0.5000000000003")),
            try .graduated(tiers: tiers),
            try .package(size: 1, price: Fixtures.rate("0.45")),
        ]
        return try models.map { model in
            try PricePlan(
                asset: .usdc, prices: [UnitPrice(unit: .hour, model: model, freeUnits: 1)],
                peakSchedule: peakSchedule())
        }
    }

    private static func interval(
        _ plan: PricePlan, start: Int64, length: Int64, prior: UInt64
    ) throws -> Charge {
        try plan.charge(
            UsageEvent(
                at: UnixTime(milliseconds: start),
                quantities: [UsageQuantity(unit: .hour, quantity: UInt64(length), priorQuantity: prior)]))
    }

    /// Cut an interval of up to three days at a random point: whole == first part + second part (the second placed
    /// after the first along the period), exactly, for standard, graduated and package pricing under peak windows.
    @Test func splittingAnIntervalAnywhereCostsTheSame() async throws {
        let plans = try Self.plans()
        await propertyCheck(
            input: Gen.int64(in: 0...Self.weekMilliseconds), Gen.int64(in: 1...(3 * 86_400_000)),
            Gen.int64(in: 0...1_000_000)
        ) { offset, length, cutPerMillion in
            let start = Self.weekStart + offset
            let firstLength = length * cutPerMillion / 1_000_000
            for plan in plans {
                let whole = try Self.interval(plan, start: start, length: length, prior: 0)
                let first = try Self.interval(plan, start: start, length: firstLength, prior: 0)
                let second = try Self.interval(
                    plan, start: start + firstLength, length: length - firstLength, prior: UInt64(firstLength))
                #expect(try first.exactTotal.adding(second.exactTotal) == whole.exactTotal)
                #expect(try Fixtures.isConsistent(whole))
            }
        }
    }

    /// Random chat events under a peak schedule: every breakdown adds up to its total plus remainder.
    @Test func breakdownsAlwaysAddUp() async throws {
        let plan = try PricePlan(
            asset: .usdc,
            prices: [
                UnitPrice(unit: .inputToken, model: .standard(rate: Fixtures.rate("0.00000015"))),
                UnitPrice(
                    unit: .outputToken,
                    model: .graduated(tiers: [
                        PriceTier(upTo: 500, rate: try Fixtures.rate("0.0000007")),
                        PriceTier(upTo: nil, rate: try Fixtures.rate("0.0000006")),
                    ]), minimum: Fixtures.amount("0.000003")),
            ], peakSchedule: Self.peakSchedule())
        await propertyCheck(
            input: Gen.int64(in: 0...Self.weekMilliseconds), Gen.uint64(in: 0...100_000), Gen.uint64(in: 0...100_000)
        ) { offset, input, output in
            let charge = try plan.charge(
                .tokens(input: input, output: output, at: UnixTime(milliseconds: Self.weekStart + offset)))
            #expect(try Fixtures.isConsistent(charge))
        }
    }

    /// The exact total of a standard price under peak windows, computed here from the segments' lengths, rates and
    /// multipliers with plain integers: rate x milliseconds x multiplier, in exact units.
    @Test func standardPeakChargeMatchesIndependentArithmetic() throws {
        let schedule = try Self.peakSchedule()
        let plan = try Fixtures.standardPlan(.hour, rate: "0.5000000000003", schedule: schedule)
        let start = Fixtures.utc(2025, 6, 6, 5)  // Friday 07:00 in Berlin
        let end = Fixtures.utc(2025, 6, 7, 3)  // Saturday 05:00
        let charge = try plan.charge(UsageEvent.interval(from: start, to: end, pricedPer: .hour))
        // 07:00-09:00 base, 09:00-17:30 x1.333333, 17:30-22:00 base, 22:00-05:00 x0.7.
        let rateScaled: UInt128 = 500_000_000_000_300_000
        let parts: [(halfHours: UInt128, multiplierMillionths: UInt128)] = [
            (4, 1_000_000), (17, 1_333_333), (9, 1_000_000), (14, 700_000),
        ]
        var exactUnits: UInt128 = 0
        for part in parts {
            // Half hours of 1,800,000 ms; an hourly rate weighs 1 per ms; millionths x 10^6 are trillionths.
            exactUnits += rateScaled * (part.halfHours * 1_800_000) * (part.multiplierMillionths * 1_000_000)
        }
        #expect(charge.lines.map(\.peakWindow) == [nil, "day", nil, "night"])
        #expect(charge.exactTotal.high == 0)
        #expect(charge.exactTotal.low == exactUnits)
    }
}
