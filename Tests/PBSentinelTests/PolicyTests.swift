import Foundation
import PBCore
import PBSentinel
import Testing

/// Policies load from their config form, reject what is malformed naming the field, and ship the seed's defaults.
@Suite struct PolicyTests {
    typealias Fixtures = SentinelFixtures

    private static func config(_ rule: SentinelRuleConfig) -> SentinelPolicyConfig { SentinelPolicyConfig(rules: [rule]) }

    private static func rule(_ condition: RuleConditionConfig) -> SentinelRuleConfig {
        SentinelRuleConfig(id: "r", when: [condition], action: "block", severity: "low")
    }

    @Test(arguments: [
        ("unknown action", "rules[0].action", config(SentinelRuleConfig(id: "r", when: [RuleConditionConfig(amount: .init(above: "1"))], action: "deny", severity: "low"))),
        ("unknown severity", "rules[0].severity", config(SentinelRuleConfig(id: "r", when: [RuleConditionConfig(amount: .init(above: "1"))], action: "block", severity: "severe"))),
        ("bad id", "rules[0].id", config(SentinelRuleConfig(id: "Big Spender", when: [RuleConditionConfig(amount: .init(above: "1"))], action: "block", severity: "low"))),
        ("no conditions", "rules[0].when", config(SentinelRuleConfig(id: "r", when: [], action: "block", severity: "low"))),
        ("negative cooldown", "rules[0].cooldownSeconds", config(SentinelRuleConfig(id: "r", when: [RuleConditionConfig(amount: .init(above: "1"))], action: "block", severity: "low", cooldownSeconds: -1))),
        ("two kinds in one condition", "rules[0].when[0]", config(rule(RuleConditionConfig(amount: .init(above: "1"), calls: .init(window: "1m", above: 1))))),
        ("empty condition", "rules[0].when[0]", config(rule(RuleConditionConfig()))),
        ("window of 90 s", "rules[0].when[0].calls.window", config(rule(RuleConditionConfig(calls: .init(window: "90s", above: 1))))),
        ("window without unit", "rules[0].when[0].spend.window", config(rule(RuleConditionConfig(spend: .init(window: "10", above: "1"))))),
        ("negative amount", "rules[0].when[0].amount.above", config(rule(RuleConditionConfig(amount: .init(above: "-1"))))),
        ("amount finer than a base unit", "rules[0].when[0].spend.above", config(rule(RuleConditionConfig(spend: .init(window: "1h", above: "0.0000001"))))),
        ("unknown scope", "rules[0].when[0].calls.scope", config(rule(RuleConditionConfig(calls: .init(window: "1m", above: 1, scope: "merchant"))))),
        ("zero multiple", "rules[0].when[0].amountVsAverage.above", config(rule(RuleConditionConfig(amountVsAverage: .init(above: "0"))))),
        ("fraction above 1", "rules[0].when[0].remainingFraction.below", config(rule(RuleConditionConfig(remainingFraction: .init(below: "1.5"))))),
        ("baseline not longer", "rules[0].when[0].callsVsBaseline.baseline", config(rule(RuleConditionConfig(callsVsBaseline: .init(window: "1h", baseline: "60m", above: "2"))))),
        ("amount z-score below 0", "rules[0].when[0].amountZScore.above", config(rule(RuleConditionConfig(amountZScore: .init(above: "-3"))))),
        ("gap z-score judged above", "rules[0].when[0].interArrivalZScore.above", config(rule(RuleConditionConfig(interArrivalZScore: .init(above: "3", below: "-3"))))),
        ("gap z-score above 0", "rules[0].when[0].interArrivalZScore.below", config(rule(RuleConditionConfig(interArrivalZScore: .init(below: "3"))))),
        ("unknown estimator", "rules[0].when[0].amountZScore.estimator", config(rule(RuleConditionConfig(amountZScore: .init(above: "3", estimator: "mean"))))),
        ("recent of 0", "rules[0].when[0].amountZScore.recent", config(rule(RuleConditionConfig(amountZScore: .init(above: "3", recent: 0))))),
        ("minimum history of 1", "rules[0].when[0].amountZScore.minimumHistory", config(rule(RuleConditionConfig(amountZScore: .init(above: "3", minimumHistory: 1))))),
        ("bad IP range", "rules[0].when[0].clientIP.in[1]", config(rule(RuleConditionConfig(clientIP: .init(inRanges: ["10.0.0.0/8", "10.0.0.0/33"]))))),
        ("both in and notIn", "rules[0].when[0].clientIP", config(rule(RuleConditionConfig(clientIP: .init(inRanges: ["10.0.0.0/8"], notIn: ["10.1.0.0/16"]))))),
        ("unknown time zone", "rules[0].when[0].timeOfDay.timeZone", config(rule(RuleConditionConfig(timeOfDay: .init(from: "22:00", to: "06:00", timeZone: "Mars/Base"))))),
        ("bad time", "rules[0].when[0].timeOfDay.from", config(rule(RuleConditionConfig(timeOfDay: .init(from: "24:00", to: "06:00"))))),
        ("seen fewer than 0", "rules[0].when[0].newClientIP.seenFewerThan", config(rule(RuleConditionConfig(newClientIP: .init(seenFewerThan: 0))))),
        ("share above 1", "rules[0].when[0].spendOfLimit.above", config(rule(RuleConditionConfig(spendOfLimit: .init(window: "1h", above: "1.01"))))),
        ("refusals per owner", "rules[0].when[0].refusals.scope", config(rule(RuleConditionConfig(refusals: .init(window: "1m", above: 5, scope: "owner"))))),
        ("duplicate ids", "rules[1].id", SentinelPolicyConfig(rules: [rule(RuleConditionConfig(amount: .init(above: "1"))), rule(RuleConditionConfig(amount: .init(above: "2")))])),
        ("unknown breaker severity", "breaker.severe", SentinelPolicyConfig(breaker: ["severe": BreakerPolicyConfig(holdSeconds: 60)])),
        ("zero probe period", "breaker.low.probeSeconds", SentinelPolicyConfig(breaker: ["low": BreakerPolicyConfig(probeSeconds: 0)])),
        ("decimals", "decimals", SentinelPolicyConfig(decimals: 40)),
    ])
    func invalidPolicyNamesTheField(_ label: String, field: String, config: SentinelPolicyConfig) {
        #expect(throws: SentinelError.self, "\(label)") { try SentinelPolicy(config: config) }
        do {
            _ = try SentinelPolicy(config: config)
        } catch {
            #expect(error.field == field, "\(label): \(error)")
        }
    }

    @Test func theSeedsThreeRulesShipAsDefaults() throws {
        let rules = SentinelPolicy.standard.rules
        let byID = Dictionary(uniqueKeysWithValues: rules.map { ($0.id, $0) })
        #expect(Array(rules.prefix(3).map(\.id)) == ["amount-spike", "call-burst", "low-balance"])
        #expect(byID["amount-spike"]?.conditions == [.amountVsAverage(multipleMillionths: 10_000_000, minimumHistory: 20)])
        #expect(byID["amount-spike"]?.action == .alert)
        #expect(byID["call-burst"]?.conditions == [.calls(scope: .key, window: .minute, above: 100)])
        #expect(byID["call-burst"]?.action == .freeze)
        #expect(byID["low-balance"]?.conditions == [.remainingFractionBelow(millionths: 100_000)])
        #expect(byID["low-balance"]?.action == .alert)
        // A config without rules gets the defaults; an explicit empty list means no rules at all.
        #expect(try SentinelPolicy(config: SentinelPolicyConfig()).rules == rules)
        #expect(try SentinelPolicy(config: SentinelPolicyConfig(rules: [])).rules.isEmpty)
    }

    /// 20 payments of 500, 1000 and 2000 base units from one address: a wide but ordinary spread.
    private func engineWithHistory() -> RiskEngine {
        let engine = RiskEngine()
        let amounts: [UInt128] = [500, 1_000, 2_000]
        for index in 0..<21 {
            let payment = Fixtures.payment(amount: amounts[index % 3], at: Fixtures.start.adding(seconds: Int64(index) * 60))
            #expect(engine.evaluate(payment).isAllowed)
        }
        return engine
    }

    @Test func defaultAmountSpikeAlertsFromAKnownAddress() {
        // The average is 1167; 11,700 is above 10x but only 2.4 robust deviations out: an alert, not a refusal.
        let verdict = engineWithHistory().evaluate(Fixtures.payment(amount: 11_700, at: Fixtures.start.adding(seconds: 1_300)))
        #expect(verdict.isAllowed)
        #expect(verdict.alerts.map(\.ruleID) == ["amount-spike"])
    }

    @Test func defaultAmountSpikeFreezesFromANewAddress() {
        let verdict = engineWithHistory().evaluate(
            Fixtures.payment(amount: 11_700, at: Fixtures.start.adding(seconds: 1_300), clientIP: "203.0.113.9"))
        #expect(verdict.reason?.ruleID == "amount-spike-new-ip")
        #expect(Fixtures.isFrozen(verdict))
        #expect(verdict.alerts.map(\.ruleID) == ["amount-spike", "amount-spike-new-ip"])
    }

    @Test func defaultAmountSpikeFreezesFarBeyondTheKeysSpread() {
        // 200,000 is 5.2 deviations out (ln(200) / 1.02): above 5.5 only with a tighter spread, so use 10x that.
        let verdict = engineWithHistory().evaluate(Fixtures.payment(amount: 2_000_000, at: Fixtures.start.adding(seconds: 1_300)))
        #expect(verdict.reason?.ruleID == "amount-spike-extreme")
    }

    @Test func defaultCallBurstFreezesTheHundredAndFirstCallInAMinute() {
        let engine = RiskEngine()
        for index in 0..<100 {
            let verdict = engine.evaluate(Fixtures.payment(at: Fixtures.start.adding(milliseconds: Int64(index) * 500)))
            #expect(verdict.isAllowed, "call \(index + 1): \(verdict.decision)")
        }
        let verdict = engine.evaluate(Fixtures.payment(at: Fixtures.start.adding(seconds: 50)))
        #expect(verdict.reason?.ruleID == "call-burst")
    }

    @Test func defaultLowBalanceAlertsOncePerDayAndAllows() {
        let engine = RiskEngine()
        let first = engine.evaluate(Fixtures.payment(amount: 1_000, at: Fixtures.start, remaining: 90_000, totalLimit: 1_000_000))
        #expect(first.isAllowed)
        #expect(first.alerts.map(\.ruleID) == ["low-balance"])
        let second = engine.evaluate(
            Fixtures.payment(amount: 1_000, at: Fixtures.start.adding(seconds: 60), remaining: 89_000, totalLimit: 1_000_000))
        #expect(second.isAllowed)
        #expect(second.alerts.isEmpty)
    }

    @Test func policyRoundTripsThroughItsConfigAndJSON() throws {
        let policy = try SentinelPolicy(config: SentinelPolicyConfig(
            decimals: 6,
            rules: SentinelPolicy.defaultRuleConfigs + [
                SentinelRuleConfig(
                    id: "night-office", message: "night payment from outside the office",
                    when: [
                        RuleConditionConfig(timeOfDay: .init(from: "22:00", to: "06:30", timeZone: "Europe/Berlin")),
                        RuleConditionConfig(clientIP: .init(notIn: ["203.0.113.0/24", "2001:db8::/32"])),
                        RuleConditionConfig(newPayee: .init(minimumHistory: 5)),
                        RuleConditionConfig(newClientIP: .init(minimumHistory: 3, seenFewerThan: 4)),
                        RuleConditionConfig(spendOfLimit: .init(window: "2h", above: "0.05")),
                        RuleConditionConfig(spend: .init(window: "45s", above: "12.5", scope: "owner")),
                        RuleConditionConfig(interArrivalZScore: .init(below: "-4.25", estimator: "welford", minimumHistory: 12, recent: 3)),
                    ],
                    action: "block", severity: "critical", cooldownSeconds: 600)
            ],
            breaker: ["critical": BreakerPolicyConfig(probeSeconds: 120, probeAllowance: 1)]))
        #expect(try SentinelPolicy(config: policy.config) == policy)
        let decoded = try JSONDecoder().decode(SentinelPolicy.self, from: JSONEncoder().encode(policy))
        #expect(decoded == policy)
        #expect(decoded.breakerPolicies[.critical]?.holdSeconds == nil)
    }

    @Test func policyDecodesFromItsDocumentedJSON() throws {
        let json = """
            {"decimals": 6, "rules": [
              {"id": "big", "message": "over 5 USDC", "when": [{"amount": {"above": "5"}}], "action": "block",
               "severity": "medium"},
              {"id": "owner-rush", "when": [{"calls": {"window": "10m", "above": 500, "scope": "owner"}}],
               "action": "freezeOwner", "severity": "high", "cooldownSeconds": 600}],
             "breaker": {"high": {"holdSeconds": 1800}}}
            """
        let policy = try JSONDecoder().decode(SentinelPolicy.self, from: Data(json.utf8))
        #expect(policy.rules.first?.conditions == [.amountAbove(5_000_000)])
        #expect(policy.rules.last?.conditions == [.calls(scope: .owner, window: try RuleWindow(parsing: "10m"), above: 500)])
        #expect(policy.breakerPolicies[.high]?.holdSeconds == 1_800)
        #expect(policy.breakerPolicies[.low] == BreakerPolicy.defaults[.low])
    }
}
