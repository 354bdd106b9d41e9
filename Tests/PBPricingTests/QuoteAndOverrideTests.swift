import PBCore
import PBPricing
import Testing

/// Oracle overrides and quotes: the figures of docs/PRICING.md, "Oracle overrides and quotes".
@Suite struct QuoteAndOverrideTests {
    /// 0.01 USDC per call; weekday evenings 18:00-23:00 in Europe/Berlin at 1.5x.
    private func callPlan() throws -> PricePlan {
        let schedule = try Fixtures.berlinSchedule(
            name: "evening", from: "18:00", to: "23:00", multiplier: "1.5",
            days: [.monday, .tuesday, .wednesday, .thursday, .friday])
        return try Fixtures.standardPlan(.call, rate: "0.01", schedule: schedule)
    }

    private func override(
        _ id: String, _ adjustment: RateOverride.Adjustment, service: String? = nil, route: String? = nil,
        unit: PricingUnit? = nil, from: UnixTime? = nil, until: UnixTime? = nil
    ) throws -> RateOverride {
        try RateOverride(
            id: id, service: service, route: route, unit: unit, adjustment: adjustment, notBefore: from, notAfter: until)
    }

    /// A 0.8 multiplier from the oracle combines with the 1.5 peak: 0.01 x 1.5 x 0.8 = 0.012 per call, only while
    /// the override is valid.
    @Test func multiplierOverrideCombinesWithPeak() throws {
        let discount = try override(
            "promo", .multiplier(Multiplier(parsing: "0.8")), unit: .call, from: Fixtures.utc(2025, 6, 2),
            until: Fixtures.utc(2025, 6, 3))
        let peakCall = UsageEvent.count(1, of: .call, at: Fixtures.utc(2025, 6, 2, 17))
        let charge = try callPlan().charge(peakCall, overrides: [discount])
        #expect(charge.total == (try Fixtures.amount("0.012")))
        #expect(charge.lines.first?.overrideId == "promo")
        #expect(charge.lines.first?.multiplier == (try Multiplier(parsing: "1.2")))
        #expect(charge.lines.first?.ruleDescription == "usage, peak 'evening', override 'promo', x1.2")
        let later = UsageEvent.count(1, of: .call, at: Fixtures.utc(2025, 6, 3, 17))
        #expect(try callPlan().charge(later, overrides: [discount]).total == (try Fixtures.amount("0.015")))
    }

    /// An absolute price replaces the model and ignores the peak: 0.02 per call even in the evening.
    @Test func absolutePriceOverrideReplacesTheModel() throws {
        let fixed = try override("fixed", .price(Fixtures.rate("0.02")))
        let charge = try callPlan().charge(.count(3, of: .call, at: Fixtures.utc(2025, 6, 2, 17)), overrides: [fixed])
        #expect(charge.total == (try Fixtures.amount("0.06")))
        #expect(charge.lines.first?.peakWindow == nil)
        #expect(charge.lines.first?.rate == (try Fixtures.rate("0.02")))
    }

    /// The most specific scope wins (route over service over any), whatever the order given.
    @Test func mostSpecificOverrideWins() throws {
        let everywhere = try override("all", .multiplier(Multiplier(parsing: "3")))
        let service = try override("svc", .multiplier(Multiplier(parsing: "2")), service: "chat")
        let route = try override("route", .multiplier(Multiplier(parsing: "0.5")), service: "chat", route: "POST /v1/chat")
        let oracle = RateOracle(overrides: [route, everywhere, service])
        let noon = UsageEvent.count(1, of: .call, at: Fixtures.utc(2025, 6, 2, 10))
        let applying = oracle.overrides(forService: "chat", route: "POST /v1/chat")
        #expect(try callPlan().charge(noon, overrides: applying).lines.first?.overrideId == "route")
        let otherRoute = oracle.overrides(forService: "chat", route: "POST /v1/embed")
        #expect(try callPlan().charge(noon, overrides: otherRoute).lines.first?.overrideId == "svc")
        #expect(oracle.overrides(forService: "images", route: "GET /").map(\.id) == ["all"])
    }

    @Test func oracleReplacesWithdrawsAndForgetsExpired() throws {
        var oracle = RateOracle()
        oracle.push(try override("a", .multiplier(Multiplier(parsing: "2")), until: Fixtures.utc(2025, 6, 2)))
        oracle.push(try override("b", .multiplier(Multiplier(parsing: "2"))))
        oracle.push(try override("b", .multiplier(Multiplier(parsing: "3"))))
        #expect(oracle.overrides.count == 2)
        #expect(oracle.overrides.last?.adjustment == .multiplier(try Multiplier(parsing: "3")))
        oracle.removeExpired(now: Fixtures.utc(2025, 6, 2))
        #expect(oracle.overrides.map(\.id) == ["b"])
        oracle.withdraw(id: "b")
        #expect(oracle.overrides.isEmpty)
    }

    /// An override that ends mid-rental splits the interval: 2 hours at 0.5 x 2 then 1 hour at 0.5 = 2.5 USDC.
    @Test func overrideEdgeSplitsAnInterval() throws {
        let plan = try Fixtures.standardPlan(.hour, rate: "0.5")
        let surge = try override("surge", .multiplier(Multiplier(parsing: "2")), until: Fixtures.utc(2025, 6, 2, 12))
        let event = try UsageEvent.interval(
            from: Fixtures.utc(2025, 6, 2, 10), to: Fixtures.utc(2025, 6, 2, 13), pricedPer: .hour)
        let charge = try plan.charge(event, overrides: [surge])
        #expect(charge.lines.map(\.overrideId) == ["surge", nil])
        #expect(charge.total == (try Fixtures.amount("2.5")))
    }

    /// Quoted at 17:50 Berlin for a lifetime of an hour, the quote expires at 18:00, when the evening window opens.
    @Test func quoteExpiresWhenTheTermsChange() throws {
        let now = Fixtures.utc(2025, 6, 2, 15, 50)
        let quote = try callPlan().quote(.count(1, of: .call, at: now), now: now, lifetimeSeconds: 3_600)
        #expect(quote.price == (try Fixtures.amount("0.01")))
        #expect(quote.expiresAt == Fixtures.utc(2025, 6, 2, 16))
        #expect(quote.isHonoured(at: now))
        #expect(quote.isHonoured(at: Fixtures.utc(2025, 6, 2, 15, 59)))
        #expect(!quote.isHonoured(at: Fixtures.utc(2025, 6, 2, 16)))
        let morning = Fixtures.utc(2025, 6, 2, 8)
        let long = try callPlan().quote(.count(1, of: .call, at: morning), now: morning, lifetimeSeconds: 300)
        #expect(long.expiresAt == morning.adding(seconds: 300))
    }

    /// A quote holds against a later oracle push: capture within the quote ignores the new override, capture after it
    /// does not. Authorize-then-capture: the capture of fewer calls than quoted costs less than the hold.
    @Test func honouredQuoteIgnoresLaterPushes() throws {
        let plan = try callPlan()
        let now = Fixtures.utc(2025, 6, 2, 8)
        let quote = try plan.quote(.count(10, of: .call, at: now), now: now, lifetimeSeconds: 600)
        #expect(quote.price == (try Fixtures.amount("0.1")))
        let surge = try override("surge", .multiplier(Multiplier(parsing: "3")), from: now)
        let capture = UsageEvent.count(7, of: .call, at: now.adding(seconds: 60))
        let honoured = try plan.charge(capture, overrides: [surge], honouring: quote)
        #expect(honoured.total == (try Fixtures.amount("0.07")))
        #expect(honoured.total <= quote.price)
        #expect(try plan.charge(capture, overrides: [surge]).total == (try Fixtures.amount("0.21")))
        let tooLate = UsageEvent.count(7, of: .call, at: now.adding(seconds: 600))
        #expect(try plan.charge(tooLate, overrides: [surge], honouring: quote).total == (try Fixtures.amount("0.21")))
    }

    /// An override starting within the lifetime shortens the quote to its start.
    @Test func pendingOverrideShortensTheQuote() throws {
        let now = Fixtures.utc(2025, 6, 2, 8)
        let pending = try override("later", .multiplier(Multiplier(parsing: "2")), from: now.adding(seconds: 120))
        let quote = try callPlan().quote(
            .count(1, of: .call, at: now), overrides: [pending], now: now, lifetimeSeconds: 600)
        #expect(quote.expiresAt == now.adding(seconds: 120))
        #expect(quote.charge.lines.first?.overrideId == nil)
    }
}
