import PBCore
import PBMetering
import PBPricing
import Testing

/// The predicted depletion time with reported usage: its pace so far goes on, beside time metering's exact prices.
@Suite struct DepletionForecastTests {
    static let start = UnixTime(seconds: 1_764_000_000)
    static let chatPlan = try! PricePlan(
        config: PricePlanConfig(prices: [UnitPriceConfig(unit: "output_token", rate: "0.000008")]))

    func chatSession() throws -> MeteringFixture {
        try MeteringFixture(plan: Self.chatPlan, metering: nil, balance: MeteringFixture.usdc("10"), at: Self.start)
    }

    @Test func reportedUsageIsForecastAtThePaceItHasHad() throws {
        var chat = try chatSession()
        #expect(
            try DepletionForecast.depletionTime(of: chat.account, sessions: [chat.session], at: Self.start) == nil,
            "no usage yet: nothing to forecast")
        // 125,000 output tokens (1 U) in the first 100 s: 0.01 U/s, so the 9 U left last 900 s more.
        let now = Self.start.adding(seconds: 100)
        try chat.change { (update) throws(MeteringError) in
            try update.record(
                [ReportedUsage(id: "e1", at: now, quantities: [UsageQuantity(unit: .outputToken, quantity: 125_000)])],
                alreadyRecorded: [], at: now)
        }
        #expect(chat.account.balance == MeteringFixture.usdc("9"))
        #expect(try DepletionForecast.depletionTime(of: chat.account, sessions: [chat.session], at: now) == now.adding(seconds: 900))
        #expect(
            try DepletionForecast.depletionTime(of: chat.account, sessions: [chat.session], at: now, includingReported: false) == nil,
            "the ticks are scheduled by time metering alone")
    }

    @Test func reportedAndTimeMeteredSessionsOnOneBalanceAddUp() throws {
        var chat = try chatSession()
        let now = Self.start.adding(seconds: 100)
        try chat.change { (update) throws(MeteringError) in
            try update.record(
                [ReportedUsage(id: "e1", at: now, quantities: [UsageQuantity(unit: .outputToken, quantity: 125_000)])],
                alreadyRecorded: [], at: now)
        }
        // A GPU session (0.001 U/s) starts on the same 9 U: 0.011 U/s together, 9 / 0.011 = 818.18 s, so the last
        // whole second the balance pays is 818 s from now.
        let gpu = try MeterSession(
            id: "gpu", account: chat.account, service: "gpu", plan: try MeteringExamples.gpuPlan(),
            timeMetering: try TimeMetering(unit: .second, intervalSeconds: 60), at: now)
        let sessions = [chat.session, gpu]
        #expect(try DepletionForecast.depletionTime(of: chat.account, sessions: sessions, at: now) == now.adding(seconds: 818))
        #expect(
            try DepletionForecast.depletionTime(of: chat.account, sessions: sessions, at: now, includingReported: false)
                == now.adding(seconds: 9_000),
            "time metering alone")
    }
}
