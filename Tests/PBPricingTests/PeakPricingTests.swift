import PBCore
import PBPricing
import Testing

/// Hourly rentals under peak windows in a real time zone: the figures of docs/PRICING.md, "Peak windows".
@Suite struct PeakPricingTests {
    /// 0.5 USDC per hour; weekday evenings 18:00-23:00 in Europe/Berlin cost 1.5x (0.75 USDC per hour).
    private func rentalPlan() throws -> PricePlan {
        let schedule = try Fixtures.berlinSchedule(
            name: "evening", from: "18:00", to: "23:00", multiplier: "1.5",
            days: [.monday, .tuesday, .wednesday, .thursday, .friday])
        return try Fixtures.standardPlan(.hour, rate: "0.5", schedule: schedule)
    }

    /// Monday 2 June 2025 is in summer time: Berlin 18:00 is 16:00 UTC.
    @Test func rentalWhollyInsideThePeakWindow() throws {
        let event = try UsageEvent.interval(
            from: Fixtures.utc(2025, 6, 2, 16, 30), to: Fixtures.utc(2025, 6, 2, 20, 0), pricedPer: .hour)
        let charge = try rentalPlan().charge(event)
        #expect(charge.total == (try Fixtures.amount("2.625")))
        #expect(charge.remainder.isZero)
        #expect(charge.lines.count == 1)
        let line = try #require(charge.lines.first)
        #expect(line.meteredQuantity == 12_600_000)  // 3.5 hours in milliseconds
        #expect(line.multiplier == (try Multiplier(parsing: "1.5")))
        #expect(line.peakWindow == "evening")
        #expect(line.exactAmount.decimalString == "2.625")
    }

    @Test func rentalStartingAnHourBeforeThePeakWindow() throws {
        let event = try UsageEvent.interval(
            from: Fixtures.utc(2025, 6, 2, 15, 0), to: Fixtures.utc(2025, 6, 2, 18, 30), pricedPer: .hour)
        let charge = try rentalPlan().charge(event)
        #expect(charge.lines.map(\.exactAmount.decimalString) == ["0.5", "1.875"])
        #expect(charge.lines.map(\.peakWindow) == [nil, "evening"])
        #expect(charge.lines.map(\.intervalEnd) == [Fixtures.utc(2025, 6, 2, 16, 0), Fixtures.utc(2025, 6, 2, 18, 30)])
        #expect(charge.total == (try Fixtures.amount("2.375")))
        #expect(try Fixtures.isConsistent(charge))
    }

    /// Saturday is not a peak day: the same hours cost the base rate.
    @Test func windowOnlyOnItsDays() throws {
        let event = try UsageEvent.interval(
            from: Fixtures.utc(2025, 6, 7, 16, 30), to: Fixtures.utc(2025, 6, 7, 20, 0), pricedPer: .hour)
        #expect(try rentalPlan().charge(event).total == (try Fixtures.amount("1.75")))
    }

    /// A nightly 22:00-06:00 half-price window: a 21:00-07:00 rental is 1 h + 8 h at half price + 1 h = 3 USDC.
    @Test func windowCrossingMidnight() throws {
        let schedule = try Fixtures.berlinSchedule(name: "night", from: "22:00", to: "06:00", multiplier: "0.5")
        let plan = try Fixtures.standardPlan(.hour, rate: "0.5", schedule: schedule)
        let event = try UsageEvent.interval(
            from: Fixtures.utc(2025, 6, 2, 19, 0), to: Fixtures.utc(2025, 6, 3, 5, 0), pricedPer: .hour)
        let charge = try plan.charge(event)
        #expect(charge.lines.map(\.exactAmount.decimalString) == ["0.5", "2", "0.5"])
        #expect(charge.total == (try Fixtures.amount("3")))
    }

    /// A Friday-only 22:00-02:00 window reaches into Saturday morning but not into Saturday night.
    @Test func wrappingWindowBelongsToTheDayItOpens() throws {
        let schedule = try Fixtures.berlinSchedule(
            name: "friday-night", from: "22:00", to: "02:00", multiplier: "2", days: [.friday])
        // Friday 6 June 2025; Berlin is UTC+2.
        #expect(schedule.window(at: Fixtures.utc(2025, 6, 6, 19, 59)) == nil)
        #expect(schedule.window(at: Fixtures.utc(2025, 6, 6, 20, 0))?.name == "friday-night")
        #expect(schedule.window(at: Fixtures.utc(2025, 6, 6, 23, 30))?.name == "friday-night")  // Sat 01:30
        #expect(schedule.window(at: Fixtures.utc(2025, 6, 7, 0, 0)) == nil)  // Sat 02:00, closed
        #expect(schedule.window(at: Fixtures.utc(2025, 6, 7, 21, 0)) == nil)  // Sat 23:00
    }

    /// A nightly 00:00-06:00 window at 2x, rentals from 23:00 to 07:00 local at 0.5 USDC per hour, on the two
    /// transition days of Europe/Berlin. 30 March 2025 springs forward (02:00 CET -> 03:00 CEST): the window lasts
    /// 5 real hours and the rental 7, so 2 h at 0.5 + 5 h at 1.0 = 6 USDC. 26 October 2025 falls back (03:00 CEST
    /// -> 02:00 CET): the window lasts 7 real hours and the rental 9, so 2 h at 0.5 + 7 h at 1.0 = 8 USDC.
    @Test(arguments: [
        (Fixtures.utc(2025, 3, 29, 22), Fixtures.utc(2025, 3, 30, 5), Int64(5), "6"),
        (Fixtures.utc(2025, 10, 25, 21), Fixtures.utc(2025, 10, 26, 6), Int64(7), "8"),
    ])
    func daylightSavingDaysHaveRealHours(start: UnixTime, end: UnixTime, peakHours: Int64, total: String) throws {
        let schedule = try Fixtures.berlinSchedule(name: "night", from: "00:00", to: "06:00", multiplier: "2")
        let plan = try Fixtures.standardPlan(.hour, rate: "0.5", schedule: schedule)
        let charge = try plan.charge(UsageEvent.interval(from: start, to: end, pricedPer: .hour))
        let hour = UInt64(Fixtures.hourMilliseconds)
        #expect(charge.lines.map(\.meteredQuantity) == [hour, UInt64(peakHours) * hour, hour])
        #expect(charge.lines.map(\.peakWindow) == [nil, "night", nil])
        #expect(charge.total == (try Fixtures.amount(total)))
    }

    /// An edge inside the skipped hour (02:30 on 30 March) falls at the jump, 03:00 CEST = 01:00 UTC; an edge at a
    /// repeated time (02:30 on 26 October) falls at its first occurrence, 02:30 CEST = 00:30 UTC.
    @Test func edgesInSkippedAndRepeatedHours() throws {
        let spring = try Fixtures.berlinSchedule(from: "02:30", to: "04:00", multiplier: "2")
        #expect(spring.window(at: Fixtures.utc(2025, 3, 30, 0, 59)) == nil)
        #expect(spring.window(at: Fixtures.utc(2025, 3, 30, 1, 0)) != nil)
        #expect(spring.window(at: Fixtures.utc(2025, 3, 30, 2, 0)) == nil)
        let autumn = try Fixtures.berlinSchedule(from: "00:00", to: "02:30", multiplier: "2")
        #expect(autumn.window(at: Fixtures.utc(2025, 10, 26, 0, 29)) != nil)
        #expect(autumn.window(at: Fixtures.utc(2025, 10, 26, 0, 30)) == nil)
        #expect(autumn.window(at: Fixtures.utc(2025, 10, 26, 1, 15)) == nil)  // 02:15 CET, the second time round
    }

    /// A count unit takes the multiplier of the window it happens in.
    @Test func callsTakeTheMultiplierOfTheirInstant() throws {
        let schedule = try Fixtures.berlinSchedule(name: "evening", from: "18:00", to: "23:00", multiplier: "1.25")
        let plan = try Fixtures.standardPlan(.call, rate: "0.01", schedule: schedule)
        let offPeak = try plan.charge(.count(4, of: .call, at: Fixtures.utc(2025, 6, 2, 15, 59)))
        let peak = try plan.charge(.count(4, of: .call, at: Fixtures.utc(2025, 6, 2, 16, 0)))
        #expect(offPeak.total == (try Fixtures.amount("0.04")))
        #expect(peak.total == (try Fixtures.amount("0.05")))
        #expect(peak.lines.first?.peakWindow == "evening")
    }
}
