import Foundation
import PBCore
import PBMetering
import PBPricing
import Testing

/// The worked examples of docs/METERING.md through the session state machine, ticked the way the gateway ticks.
@Suite struct TimeMeteringTests {
    let usdc = MeteringFixture.usdc

    @Test func rentalWhollyInsideThePeakWindowCosts2_625() throws {
        let (start, end) = MeteringExamples.rentalInsidePeak
        var fixture = try MeteringFixture(
            plan: MeteringExamples.rentalPlan(), metering: TimeMetering(unit: .hour, intervalSeconds: 600),
            balance: usdc("10"), at: start)
        try fixture.tick(until: end)
        try fixture.change { (update) throws(MeteringError) in try update.stop(.completed, at: end) }
        #expect(fixture.session.charged == usdc("2.625"))
        #expect(fixture.session.carrier.remainder.isZero)
        #expect(fixture.account.balance == usdc("7.375"))
        #expect(fixture.debitedTotal == usdc("2.625"), "what left the account is what the session charged")
        #expect(fixture.session.state == .stopped(.completed))
        let line = try #require(fixture.session.statementLines.first)
        #expect(fixture.session.statementLines.count == 1)
        #expect(line.peakWindow == "evening")
        #expect(line.multiplier == "1.5")
        #expect(line.meteredQuantity == 12_600_000)
        #expect(line.exactAmount.decimalString == "2.625")
    }

    @Test func rentalStartingAnHourBeforeThePeakWindowCosts2_375() throws {
        let (start, end) = MeteringExamples.rentalAcrossPeakStart
        var fixture = try MeteringFixture(
            plan: MeteringExamples.rentalPlan(), metering: TimeMetering(unit: .hour, intervalSeconds: 60),
            balance: usdc("10"), at: start)
        try fixture.tick(until: end)
        try fixture.change { (update) throws(MeteringError) in try update.stop(.completed, at: end) }
        #expect(fixture.session.charged == usdc("2.375"))
        let lines = fixture.session.statementLines.map { "\($0.meteredQuantity) \($0.peakWindow ?? "-") \($0.exactAmount)" }
        #expect(lines == ["3600000 - 0.5", "9000000 evening 1.875"])
        let statement = try Statement(session: fixture.session, account: fixture.account, topUps: [])
        #expect(statement.exactTotal.decimalString == "2.375")
        #expect(statement.charged == usdc("2.375"))
    }

    /// 100 U at 0.001 U/s, ticked every minute: low balance at exactly 10 U (second 90,000), stopped at exactly
    /// second 100,000 with nothing left, and the forecast at the start said so.
    @Test func gpuStopsAtTheSecondTheBalanceCannotCover() throws {
        let start = UnixTime(seconds: 1_764_000_000)
        var fixture = try MeteringFixture(
            plan: MeteringExamples.gpuPlan(), metering: TimeMetering(unit: .second, intervalSeconds: 60),
            balance: MeteringExamples.gpuTopUp, at: start)
        let forecast = try DepletionForecast.depletionTime(of: fixture.account, sessions: [fixture.session], at: start)
        #expect(forecast == start.adding(seconds: 100_000))
        try fixture.tick(until: start.adding(seconds: 200_000))
        #expect(fixture.session.state == .stopped(.insufficientFunds))
        #expect(fixture.session.stoppedAt == start.adding(seconds: 100_000))
        #expect(fixture.account.balance.isZero)
        #expect(fixture.session.charged == usdc("100"))
        let low = try #require(fixture.events(.accountLowBalance).first)
        #expect(fixture.events(.accountLowBalance).count == 1, "once per crossing")
        #expect(low.at == start.adding(seconds: 90_000))
        #expect(low.balance == usdc("10"))
        #expect(low.threshold == usdc("10"))
        let stop = try #require(fixture.events(.sessionStopped).first)
        #expect(stop.reason == .insufficientFunds)
        #expect(stop.at == start.adding(seconds: 100_000))
    }

    /// The same figures when the clock jumps far past both instants in one advance: the cuts are exact.
    @Test func oneLateAdvanceStillCutsAtTheExactSeconds() throws {
        let start = UnixTime(seconds: 1_764_000_000)
        var fixture = try MeteringFixture(
            plan: MeteringExamples.gpuPlan(), metering: TimeMetering(unit: .second, intervalSeconds: 60),
            balance: MeteringExamples.gpuTopUp, at: start)
        try fixture.change { (update) throws(MeteringError) in try update.advance(to: start.adding(seconds: 150_000)) }
        #expect(fixture.session.stoppedAt == start.adding(seconds: 100_000))
        #expect(fixture.events.map(\.kind) == [.accountLowBalance, .sessionStopped])
        #expect(fixture.events.map(\.at) == [start.adding(seconds: 90_000), start.adding(seconds: 100_000)])
        #expect(fixture.account.balance.isZero)
    }

    @Test func topUpResumesAndTotalsStayExact() throws {
        let start = UnixTime(seconds: 1_764_000_000)
        var fixture = try MeteringFixture(
            plan: MeteringExamples.gpuPlan(), metering: TimeMetering(unit: .second, intervalSeconds: 60),
            balance: MeteringExamples.gpuTopUp, at: start)
        try fixture.change { (update) throws(MeteringError) in try update.advance(to: start.adding(seconds: 120_000)) }
        let topUpAt = start.adding(seconds: 130_000)
        var resumedFalse = false
        try fixture.change { (update) throws(MeteringError) in resumedFalse = try update.resumeIfFunded(at: topUpAt) }
        #expect(!resumedFalse, "no top-up yet: still stopped")
        var account = fixture.account
        try account.credit(usdc("50"), at: topUpAt)
        fixture.account = account
        #expect(fixture.account.lowBalanceThreshold == usdc("5"), "10% of the new refill level")
        try fixture.change { (update) throws(MeteringError) in try update.resumeIfFunded(at: topUpAt) }
        #expect(fixture.session.state == .active)
        #expect(fixture.events.last?.kind == .sessionResumed)
        try fixture.tick(until: topUpAt.adding(seconds: 1_000))
        try fixture.change { (update) throws(MeteringError) in try update.stop(.completed, at: topUpAt.adding(seconds: 1_000)) }
        #expect(fixture.session.charged == usdc("101"), "100 U before the stop, 1 U after the resume; the gap is free")
        #expect(fixture.account.balance == usdc("49"))
        #expect(fixture.account.spent == usdc("101"))
        #expect(fixture.account.toppedUp == usdc("150"))
    }

    @Test func pauseStopsAccrual() throws {
        let start = UnixTime(seconds: 1_764_000_000)
        var fixture = try MeteringFixture(
            plan: MeteringExamples.gpuPlan(), metering: TimeMetering(unit: .second, intervalSeconds: 30),
            balance: usdc("10"), at: start)
        try fixture.tick(until: start.adding(seconds: 100))
        try fixture.change { (update) throws(MeteringError) in try update.pause(at: start.adding(seconds: 100)) }
        try fixture.change { (update) throws(MeteringError) in try update.advance(to: start.adding(seconds: 5_000)) }
        #expect(fixture.session.charged == usdc("0.1"), "nothing accrues while paused")
        try fixture.change { (update) throws(MeteringError) in try update.resume(at: start.adding(seconds: 5_000)) }
        try fixture.tick(until: start.adding(seconds: 5_100))
        #expect(fixture.session.charged == usdc("0.2"))
        #expect(fixture.session.meteredQuantities["second"] == 200_000)
    }

    @Test func aSessionTheBalanceCannotStartIsRefused() throws {
        let start = UnixTime(seconds: 1_764_000_000)
        var account = try Account(id: "empty", asset: .usdc, createdAt: start)
        let session = try MeterSession(
            id: "s", account: account, service: "gpu", plan: MeteringExamples.gpuPlan(),
            timeMetering: TimeMetering(unit: .second), at: start)
        #expect(throws: MeteringError.self) { try SessionUpdate.start(session, account: account) }
        try account.credit(usdc("0.000999"), at: start)
        #expect(throws: MeteringError.self, "0.000999 cannot pay a second at 0.001") {
            try SessionUpdate.start(session, account: account)
        }
    }

    @Test func sessionDocumentsRoundTrip() throws {
        let (start, end) = MeteringExamples.rentalAcrossPeakStart
        var fixture = try MeteringFixture(
            plan: MeteringExamples.rentalPlan(), metering: TimeMetering(unit: .hour, intervalSeconds: 60),
            balance: usdc("10"), at: start)
        try fixture.tick(until: end.adding(seconds: -7))
        let encoded = try JSONEncoder().encode(fixture.session)
        let decoded = try JSONDecoder().decode(MeterSession.self, from: encoded)
        #expect(decoded == fixture.session)
    }
}
