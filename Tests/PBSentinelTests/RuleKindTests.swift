import PBCore
import PBSentinel
import Testing

/// Each condition kind at its boundary: the threshold itself passes, one base unit (or one call) more does not.
@Suite struct RuleKindTests {
    typealias Fixtures = SentinelFixtures
    let start = SentinelFixtures.start

    @Test func amountAboveIsExact() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([RuleConditionConfig(amount: AmountThresholdConfig(above: "0.01"))]))
        #expect(engine.evaluate(Fixtures.payment(amount: 10_000, at: start)).isAllowed)
        let verdict = engine.evaluate(Fixtures.payment(amount: 10_001, at: start.adding(seconds: 1)))
        #expect(verdict.reason?.ruleID == "rule-under-test")
        #expect(Fixtures.isBlocked(verdict))
    }

    @Test func amountVsAverageWaitsForHistoryThenComparesExactly() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(amountVsAverage: MultipleConfig(above: "10", minimumHistory: 3))
        ]))
        #expect(engine.evaluate(Fixtures.payment(amount: 1_000, at: start)).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(amount: 1_000, at: start.adding(seconds: 1))).isAllowed)
        // Two payments of history: a 100x payment is not judged yet (and then joins the average).
        #expect(engine.evaluate(Fixtures.payment(key: 2, amount: 1_000, at: start)).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(key: 2, amount: 1_000, at: start)).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(key: 2, amount: 100_000, at: start)).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(amount: 1_000, at: start.adding(seconds: 2))).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(amount: 10_000, at: start.adding(seconds: 3))).isAllowed)
        // Average now (1000 * 3 + 10000) / 4 = 3250: 32501 is above 10x and refused (so not learned); 32500 is exactly 10x.
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(amount: 32_501, at: start.adding(seconds: 4)))))
        #expect(engine.evaluate(Fixtures.payment(amount: 32_500, at: start.adding(seconds: 5))).isAllowed)
    }

    @Test func callsInASlidingMinute() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(calls: CountWindowConfig(window: "1m", above: 3))
        ]))
        for second in 0..<3 { #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: Int64(second)))).isAllowed) }
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 3)))))
        // 63 s on, the four earlier attempts (blocked ones count too) have left the window.
        #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 63))).isAllowed)
    }

    @Test func ownerScopeCountsAllTheOwnersKeys() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(calls: CountWindowConfig(window: "10m", above: 3, scope: "owner"))
        ]))
        #expect(engine.evaluate(Fixtures.payment(key: 1, owner: 7, at: start)).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(key: 2, owner: 7, at: start.adding(seconds: 60))).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(key: 3, owner: 8, at: start.adding(seconds: 90))).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(key: 3, owner: 7, at: start.adding(seconds: 120))).isAllowed)
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(key: 4, owner: 7, at: start.adding(seconds: 180)))))
    }

    @Test func spendInAWindow() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(spend: SpendWindowConfig(window: "1h", above: "0.03"))
        ]))
        for minute in 0..<3 {
            #expect(engine.evaluate(Fixtures.payment(amount: 10_000, at: start.adding(seconds: Int64(minute) * 60))).isAllowed)
        }
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(amount: 1, at: start.adding(seconds: 600)))))
        // A blocked payment spent nothing: an hour after the first, only later spend is left in the window.
        #expect(engine.evaluate(Fixtures.payment(amount: 10_000, at: start.adding(seconds: 3_600 + 130))).isAllowed)
    }

    @Test func callsVsBaselineNeedsTheBaselineCoveredThenComparesRates() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(callsVsBaseline: BaselineConfig(window: "1m", baseline: "10m", above: "5"))
        ]))
        // A burst on a brand-new key is not judged: there is no baseline yet.
        for second in 0..<5 { #expect(engine.evaluate(Fixtures.payment(key: 2, at: start.adding(seconds: Int64(second)))).isAllowed) }
        for minute in 0...10 { #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: Int64(minute) * 60))).isAllowed) }
        // Burst call k at 600 + k s: (k + 1) calls in the minute vs 10 + k in ten minutes; above 5x once k > 8.
        for k in 1...8 { #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 600 + Int64(k)))).isAllowed) }
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 609)))))
    }

    @Test func spendVsBaseline() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(spendVsBaseline: BaselineConfig(window: "1m", baseline: "10m", above: "5"))
        ]))
        for minute in 0...10 {
            #expect(engine.evaluate(Fixtures.payment(amount: 1_000, at: start.adding(seconds: Int64(minute) * 60))).isAllowed)
        }
        // 1000 + x in the minute vs 10000 + x in ten minutes: above 5x once 10 * (1000 + x) > 5 * (10000 + x), x > 8000.
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(amount: 8_001, at: start.adding(seconds: 601)))))
        #expect(engine.evaluate(Fixtures.payment(amount: 8_000, at: start.adding(seconds: 602))).isAllowed)
    }

    @Test func remainingFractionBelowIsExact() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(remainingFraction: FractionConfig(below: "0.1"))
        ]))
        // After the payment exactly 10% is left: not below.
        #expect(engine.evaluate(Fixtures.payment(amount: 10_000, at: start, remaining: 110_000, totalLimit: 1_000_000)).isAllowed)
        #expect(Fixtures.isBlocked(engine.evaluate(
            Fixtures.payment(amount: 10_001, at: start, remaining: 110_000, totalLimit: 1_000_000))))
    }

    @Test func newPayeeAndNewServiceAfterHistory() throws {
        let payeeEngine = RiskEngine(policy: try Fixtures.policy([RuleConditionConfig(newPayee: NoveltyConfig(minimumHistory: 2))]))
        #expect(payeeEngine.evaluate(Fixtures.payment(at: start, payee: 9)).isAllowed)
        #expect(payeeEngine.evaluate(Fixtures.payment(at: start, payee: 8)).isAllowed)  // one payment of history: not judged
        #expect(Fixtures.isBlocked(payeeEngine.evaluate(Fixtures.payment(at: start, payee: 7))))
        #expect(payeeEngine.evaluate(Fixtures.payment(at: start, payee: 8)).isAllowed)
        let serviceEngine = RiskEngine(policy: try Fixtures.policy([RuleConditionConfig(newService: NoveltyConfig(minimumHistory: 2))]))
        #expect(serviceEngine.evaluate(Fixtures.payment(at: start, service: "chat")).isAllowed)
        #expect(serviceEngine.evaluate(Fixtures.payment(at: start, service: "chat")).isAllowed)
        #expect(Fixtures.isBlocked(serviceEngine.evaluate(Fixtures.payment(at: start, service: "images"))))
        #expect(serviceEngine.evaluate(Fixtures.payment(at: start, service: "chat")).isAllowed)
    }

    @Test func newClientIPStaysNewForItsFirstPayments() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(newClientIP: ClientIPNoveltyConfig(minimumHistory: 2, seenFewerThan: 2))
        ]))
        #expect(engine.evaluate(Fixtures.payment(at: start, clientIP: "198.51.100.7")).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(at: start, clientIP: "198.51.100.8")).isAllowed)  // history too short
        // Each address has one payment: both are still new, and a refused payment teaches nothing.
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start, clientIP: "198.51.100.7"))))
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start, clientIP: nil))) == false)
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start, clientIP: "198.51.100.9"))))
    }

    @Test func spendOfLimitIsTheBurnRate() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(spendOfLimit: LimitFractionConfig(window: "1h", above: "0.02"))
        ]))
        // 2% of 1,000,000 is 20,000: reaching it is allowed, passing it is not.
        #expect(engine.evaluate(Fixtures.payment(amount: 15_000, at: start, totalLimit: 1_000_000)).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(amount: 5_000, at: start.adding(seconds: 60), totalLimit: 1_000_000)).isAllowed)
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(amount: 1, at: start.adding(seconds: 120), totalLimit: 1_000_000))))
    }

    @Test(arguments: [(hour: 21, minute: 59, inside: false), (22, 0, true), (5, 59, true), (6, 0, false), (12, 0, false)])
    func timeOfDayAcrossMidnight(hour: Int, minute: Int, inside: Bool) throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(timeOfDay: TimeOfDayConfig(from: "22:00", to: "06:00", timeZone: "UTC"))
        ]))
        let time = start.adding(seconds: Int64(hour * 3_600 + minute * 60))  // start is midnight UTC
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: time))) == inside)
    }

    @Test func timeOfDayFollowsTheZone() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(timeOfDay: TimeOfDayConfig(from: "00:00", to: "01:00", timeZone: "Europe/Berlin"))
        ]))
        // 23:30 UTC on 31 December is 00:30 in Berlin (CET, UTC+1).
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start.adding(seconds: -1_800)))))
        #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 1_800))).isAllowed)
    }

    @Test(arguments: [
        ("203.0.113.5", true), ("203.0.114.1", false), ("::ffff:203.0.113.9", true), ("2001:db8::1", true),
        ("2001:db9::1", false), ("not an address", false),
    ])
    func clientIPInRanges(address: String, inside: Bool) throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(clientIP: ClientIPConfig(inRanges: ["203.0.113.0/24", "2001:db8::/32"]))
        ]))
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start, clientIP: address))) == inside)
    }

    @Test func clientIPNotInNeverMatchesAnUnknownAddress() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([RuleConditionConfig(clientIP: ClientIPConfig(notIn: ["10.0.0.0/8"]))]))
        #expect(engine.evaluate(Fixtures.payment(at: start, clientIP: "10.1.2.3")).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(at: start, clientIP: nil)).isAllowed)
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(at: start, clientIP: "192.0.2.1"))))
    }

    @Test func amountZScoreRespectsMinimumHistory() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(amountZScore: ZScoreConfig(above: "4", minimumHistory: 10))
        ]))
        let amounts: [UInt128] = [900, 1_000, 1_100, 950, 1_050, 1_000, 980, 1_020, 1_000]
        for (index, amount) in amounts.enumerated() {
            #expect(engine.evaluate(Fixtures.payment(amount: amount, at: start.adding(seconds: Int64(index)))).isAllowed)
        }
        // Nine amounts of history: not judged yet, and the outlier joins the history (the median barely moves).
        #expect(engine.evaluate(Fixtures.payment(amount: 3_000, at: start.adding(seconds: 20))).isAllowed)
        // Ten now: a 3x amount is ln 3 / 0.25 (the scale floor) = 4.4 deviations above; 2x is 2.8.
        #expect(engine.evaluate(Fixtures.payment(amount: 2_000, at: start.adding(seconds: 21))).isAllowed)
        #expect(Fixtures.isBlocked(engine.evaluate(Fixtures.payment(amount: 3_000, at: start.adding(seconds: 22)))))
    }

    @Test func interArrivalZScoreCatchesABurst() throws {
        let engine = RiskEngine(policy: try Fixtures.policy([
            RuleConditionConfig(interArrivalZScore: ZScoreConfig(below: "-4", minimumHistory: 5, recent: 2))
        ]))
        for minute in 0...6 { #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: Int64(minute) * 60))).isAllowed) }
        // Gaps of 60 s; one gap of 30 s is -2.8 deviations alone, averaged with a 60 s gap -2.0: allowed.
        #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 390))).isAllowed)
        // Two gaps of 1 s are far below.
        #expect(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 391))).isAllowed == false)
    }

    @Test func refusalStormFreezesOnARefusal() throws {
        let engine = RiskEngine(policy: try Fixtures.policy(
            [RuleConditionConfig(refusals: CountWindowConfig(window: "1m", above: 2))], action: "freeze"))
        let refusal = { (second: Int64) in
            RefusalObservation(
                keyID: Fixtures.keyID(1), owner: Fixtures.address(1), code: "pb_sequence_replayed",
                time: self.start.adding(seconds: second))
        }
        #expect(engine.recordRefusal(refusal(0)).isAllowed)
        #expect(engine.recordRefusal(refusal(1)).isAllowed)
        let verdict = engine.recordRefusal(refusal(2))
        #expect(Fixtures.isFrozen(verdict))
        #expect(verdict.events.map(\.kind) == [.ruleFired, .frozen])
        // The freeze applies to the very next payment.
        #expect(Fixtures.isFrozen(engine.evaluate(Fixtures.payment(at: start.adding(seconds: 3)))))
    }

    @Test func anAllowRuleEndsEvaluation() throws {
        let policy = try SentinelPolicy(config: SentinelPolicyConfig(rules: [
            SentinelRuleConfig(id: "office", when: [RuleConditionConfig(clientIP: ClientIPConfig(inRanges: ["10.0.0.0/8"]))],
                               action: "allow", severity: "low"),
            SentinelRuleConfig(id: "big", when: [RuleConditionConfig(amount: AmountThresholdConfig(above: "1"))],
                               action: "block", severity: "high"),
        ]))
        let engine = RiskEngine(policy: policy)
        #expect(engine.evaluate(Fixtures.payment(amount: 2_000_000, at: start, clientIP: "10.0.0.1")).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(amount: 2_000_000, at: start, clientIP: "192.0.2.1")).reason?.ruleID == "big")
    }
}
