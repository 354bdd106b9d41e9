import PBCore
import PBSentinel
import Testing

/// A rule alerts once per incident: firings within its cooldown of the previous one are suppressed and counted.
@Suite struct CooldownTests {
    typealias Fixtures = SentinelFixtures

    @Test func oneIncidentMakesOneAlert() throws {
        let engine = RiskEngine(policy: try Fixtures.policy(
            [RuleConditionConfig(amount: AmountThresholdConfig(above: "0.5"))], action: "alert", severity: "low",
            cooldownSeconds: 60))
        let start = Fixtures.start
        var alerts: [SentinelEvent] = []
        // A thousand firings 10 s apart, each within 60 s of the previous one: one incident.
        for index in 0..<1_000 {
            let verdict = engine.evaluate(Fixtures.payment(amount: 600_000, at: start.adding(seconds: Int64(index) * 10)))
            #expect(verdict.isAllowed)
            alerts += verdict.alerts
        }
        #expect(alerts.count == 1)
        #expect(alerts.first?.ruleID == "rule-under-test")
        #expect(alerts.first?.severity == .low)
        // 60 s of quiet ends the incident; the next firing alerts and reports what was suppressed.
        let next = engine.evaluate(Fixtures.payment(amount: 600_000, at: start.adding(seconds: 9_990 + 60)))
        #expect(next.alerts.count == 1)
        #expect(next.alerts.first?.details.contains("999 more firings") == true)
    }

    @Test func cooldownsArePerKey() throws {
        let engine = RiskEngine(policy: try Fixtures.policy(
            [RuleConditionConfig(amount: AmountThresholdConfig(above: "0.5"))], action: "alert", severity: "low",
            cooldownSeconds: 3_600))
        #expect(engine.evaluate(Fixtures.payment(key: 1, amount: 600_000, at: Fixtures.start)).alerts.count == 1)
        #expect(engine.evaluate(Fixtures.payment(key: 2, amount: 600_000, at: Fixtures.start)).alerts.count == 1)
        #expect(engine.evaluate(Fixtures.payment(key: 1, amount: 600_000, at: Fixtures.start)).alerts.isEmpty)
    }

    @Test func ownerWideRulesCoolDownPerOwner() throws {
        let engine = RiskEngine(policy: try Fixtures.policy(
            [RuleConditionConfig(calls: CountWindowConfig(window: "1h", above: 1, scope: "owner"))], action: "alert",
            severity: "medium", cooldownSeconds: 3_600))
        var alerts = 0
        for key in UInt8(1)...UInt8(20) {
            alerts += engine.evaluate(Fixtures.payment(key: key, owner: 4, at: Fixtures.start)).alerts.count
        }
        #expect(alerts == 1)
    }
}
