import PBCore
import PBMetering
import PBPricing
import Testing

/// Usage the merchant reports: idempotent by id, priced along the session, refused when the balance cannot pay.
@Suite struct ReportedUsageTests {
    let usdc = MeteringFixture.usdc
    let start = UnixTime(seconds: 1_764_000_000)

    /// 0.000002 U per input token, 0.000008 per output token.
    func chatPlan() throws -> PricePlan {
        try PricePlan(
            config: PricePlanConfig(prices: [
                UnitPriceConfig(unit: "input_token", rate: "0.000002"), UnitPriceConfig(unit: "output_token", rate: "0.000008"),
            ]))
    }

    func chat(_ id: String, input: UInt64, output: UInt64) -> ReportedUsage {
        ReportedUsage(
            id: id, at: start,
            quantities: [UsageQuantity(unit: .inputToken, quantity: input), UsageQuantity(unit: .outputToken, quantity: output)])
    }

    @Test func resendingABatchChangesNothing() throws {
        var fixture = try MeteringFixture(plan: chatPlan(), metering: nil, balance: usdc("1"), at: start)
        let batch = [chat("e1", input: 1_200, output: 350), chat("e2", input: 10, output: 10)]
        var recorded: [String] = []
        try fixture.change { (update) throws(MeteringError) in
            try update.record(batch, alreadyRecorded: [], at: start)
            recorded = update.recorded.map(\.usage.id)
        }
        #expect(recorded == ["e1", "e2"])
        // 0.0024 + 0.0028 = 0.0052, then 0.00002 + 0.00008 = 0.0001
        #expect(fixture.session.charged == usdc("0.0053"))
        let afterFirst = fixture
        var duplicates: [String] = []
        try fixture.change { (update) throws(MeteringError) in
            try update.record(batch, alreadyRecorded: ["e1", "e2"], at: start)
            duplicates = update.duplicates
            #expect(update.recorded.isEmpty)
        }
        #expect(duplicates == ["e1", "e2"])
        #expect(fixture.session == afterFirst.session)
        #expect(fixture.account == afterFirst.account)
    }

    @Test func subUnitPricesAreCarriedNotLost() throws {
        let plan = try PricePlan(config: PricePlanConfig(prices: [UnitPriceConfig(unit: "input_token", rate: "0.00000015")]))
        var fixture = try MeteringFixture(plan: plan, metering: nil, balance: usdc("1"), at: start)
        let batch = (0..<7).map { ReportedUsage(id: "e\($0)", at: start, quantities: [UsageQuantity(unit: .inputToken, quantity: 3)]) }
        try fixture.change { (update) throws(MeteringError) in try update.record(batch, alreadyRecorded: [], at: start) }
        // 21 tokens x 0.15 base units = 3.15 base units: 3 collected, 0.15 carried.
        #expect(fixture.session.charged.baseUnits == 3)
        #expect(fixture.session.exactTotal.decimalString == "0.00000315")
        #expect(fixture.account.spent.baseUnits == 3)
    }

    @Test func anEventTheBalanceCannotPayStopsTheSession() throws {
        var fixture = try MeteringFixture(plan: chatPlan(), metering: nil, balance: usdc("0.006"), at: start)
        let batch = [chat("a", input: 1_200, output: 350), chat("b", input: 1_200, output: 350), chat("c", input: 1, output: 1)]
        var refused: [String] = []
        try fixture.change { (update) throws(MeteringError) in
            try update.record(batch, alreadyRecorded: [], at: start)
            refused = update.refused
        }
        #expect(refused == ["b", "c"])
        #expect(fixture.session.state == .stopped(.insufficientFunds))
        #expect(fixture.account.balance == usdc("0.0008"))
        #expect(fixture.events(.sessionStopped).first?.reason == .insufficientFunds)
    }

    @Test func lowBalanceFiresOncePerCrossingAndRearmsOnTopUp() throws {
        var fixture = try MeteringFixture(plan: chatPlan(), metering: nil, balance: usdc("0.01"), at: start)
        for index in 0..<3 {
            try fixture.change { (update) throws(MeteringError) in
                try update.record([chat("x\(index)", input: 0, output: 125)], alreadyRecorded: [], at: start)
            }
        }
        // 3 x 0.001: the balance passes 0.001 (10% of 0.01) only after nine such events.
        #expect(fixture.events(.accountLowBalance).isEmpty)
        for index in 3..<10 {
            try fixture.change { (update) throws(MeteringError) in
                try update.record([chat("x\(index)", input: 0, output: 125)], alreadyRecorded: [], at: start)
            }
        }
        #expect(fixture.events(.accountLowBalance).count == 1)
        #expect(fixture.events(.accountLowBalance).first?.balance == usdc("0.001"))
        var account = fixture.account
        try account.credit(usdc("0.009"), at: start)
        #expect(!account.lowBalanceAlerted, "a top-up above the mark re-arms the alert")
    }

    @Test func badItemsAreNamed() throws {
        let plan = try chatPlan()
        let good = chat("ok", input: 1, output: 1)
        let cases: [([ReportedUsage], String)] = [
            ([], "events"),
            ([good, chat("bad id", input: 1, output: 1)], "events[1].id"),
            ([good, good], "events[1].id"),
            ([good, ReportedUsage(id: "n", at: start, quantities: [])], "events[1].quantities"),
            ([ReportedUsage(id: "h", at: start, quantities: [UsageQuantity(unit: .hour, quantity: 1)])], "events[0].quantities.hour"),
        ]
        for (batch, field) in cases {
            #expect(throws: MeteringError.invalid(field, ""), "\(field)") {
                do throws(MeteringError) { try UsageBatch.validate(batch, plan: plan) } catch {
                    throw MeteringError.invalid(error.field, "")
                }
            }
        }
    }
}
