import PBCore
import PBSentinel
import Testing

/// Breaker transitions driven by a `ManualWallClock`: closed -> open -> half-open -> closed, or open again.
@Suite struct CircuitBreakerTests {
    typealias Fixtures = SentinelFixtures

    /// Freezes on any payment above 1 USDC, at `severity`, with a 60 s hold, 60 s probe and 2 probes for medium.
    private func engine(severity: String) throws -> RiskEngine {
        let policy = try SentinelPolicy(config: SentinelPolicyConfig(
            rules: [SentinelRuleConfig(
                id: "big", message: "too big", when: [RuleConditionConfig(amount: AmountThresholdConfig(above: "1"))],
                action: "freeze", severity: severity)],
            breaker: ["medium": BreakerPolicyConfig(holdSeconds: 60, probeSeconds: 60, probeAllowance: 2, maximumHoldSeconds: 600)]))
        return RiskEngine(policy: policy)
    }

    @Test func opensHalfOpensAndClosesAfterAQuietProbe() throws {
        let engine = try engine(severity: "medium")
        let clock = ManualWallClock(Fixtures.start)
        let freeze = engine.evaluate(Fixtures.payment(amount: 2_000_000, at: clock.now))
        #expect(Fixtures.isFrozen(freeze))
        #expect(freeze.events.map(\.kind) == [.ruleFired, .frozen])
        clock.advance(bySeconds: 59)
        #expect(Fixtures.isFrozen(engine.evaluate(Fixtures.payment(at: clock.now))))
        clock.advance(bySeconds: 1)
        let probe = engine.evaluate(Fixtures.payment(at: clock.now))
        #expect(probe.isAllowed)
        #expect(probe.events.map(\.kind) == [.halfOpened])
        #expect(probe.events.first?.time == Fixtures.start.adding(seconds: 60))
        clock.advance(bySeconds: 1)
        #expect(engine.evaluate(Fixtures.payment(at: clock.now)).isAllowed)
        // The probe period ends 60 s after it began; the next payment finds the breaker closed.
        clock.advance(bySeconds: 70)
        let after = engine.evaluate(Fixtures.payment(at: clock.now))
        #expect(after.isAllowed)
        #expect(after.events.map(\.kind) == [.closed])
        #expect(engine.breaker(for: .key(Fixtures.keyID(1))) == nil)
    }

    @Test func aTripWhileHalfOpenRefreezesWithADoubledHold() throws {
        let engine = try engine(severity: "medium")
        let clock = ManualWallClock(Fixtures.start)
        _ = engine.evaluate(Fixtures.payment(amount: 2_000_000, at: clock.now))
        clock.advance(bySeconds: 60)
        let again = engine.evaluate(Fixtures.payment(amount: 2_000_000, at: clock.now))
        #expect(again.events.map(\.kind) == [.halfOpened, .ruleFired, .refrozen])
        #expect(engine.breaker(for: .key(Fixtures.keyID(1)))?.state == .open(until: clock.now.adding(seconds: 120)))
        clock.advance(bySeconds: 119)
        #expect(Fixtures.isFrozen(engine.evaluate(Fixtures.payment(at: clock.now))))
        clock.advance(bySeconds: 1)
        #expect(engine.evaluate(Fixtures.payment(at: clock.now)).isAllowed)
    }

    @Test func moreThanTheProbeAllowanceRefreezes() throws {
        let engine = try engine(severity: "medium")
        let clock = ManualWallClock(Fixtures.start)
        _ = engine.evaluate(Fixtures.payment(amount: 2_000_000, at: clock.now))
        clock.advance(bySeconds: 60)
        #expect(engine.evaluate(Fixtures.payment(at: clock.now)).isAllowed)
        #expect(engine.evaluate(Fixtures.payment(at: clock.now)).isAllowed)
        let third = engine.evaluate(Fixtures.payment(at: clock.now))
        #expect(Fixtures.isFrozen(third))
        #expect(third.events.map(\.kind) == [.refrozen])
    }

    @Test(arguments: [("low", Int64(300)), ("high", Int64(3_600))])
    func defaultHoldsPerSeverity(severity: String, holdSeconds: Int64) throws {
        let engine = try engine(severity: severity)
        let time = Fixtures.start
        _ = engine.evaluate(Fixtures.payment(amount: 2_000_000, at: time))
        #expect(engine.breaker(for: .key(Fixtures.keyID(1)))?.state == .open(until: time.adding(seconds: holdSeconds)))
    }

    @Test func criticalStaysFrozenUntilTheOwnerUnfreezes() throws {
        let engine = try engine(severity: "critical")
        let clock = ManualWallClock(Fixtures.start)
        _ = engine.evaluate(Fixtures.payment(amount: 2_000_000, at: clock.now))
        #expect(engine.breaker(for: .key(Fixtures.keyID(1)))?.state == .open(until: nil))
        clock.advance(bySeconds: 30 * 86_400)
        #expect(Fixtures.isFrozen(engine.evaluate(Fixtures.payment(at: clock.now))))
        let unfrozen = engine.unfreeze(.key(Fixtures.keyID(1)), at: clock.now, note: "owner's signed unfreeze")
        #expect(unfrozen?.kind == .unfrozen)
        #expect(unfrozen?.severity == .critical)
        #expect(engine.evaluate(Fixtures.payment(at: clock.now)).isAllowed)
        #expect(engine.unfreeze(.key(Fixtures.keyID(1)), at: clock.now, note: "again") == nil)
    }

    @Test func freezeOwnerRefusesEveryKeyOfTheOwner() throws {
        let policy = try Fixtures.policy(
            [RuleConditionConfig(amount: AmountThresholdConfig(above: "1"))], action: "freezeOwner", severity: "high")
        let engine = RiskEngine(policy: policy)
        let verdict = engine.evaluate(Fixtures.payment(key: 1, owner: 5, amount: 2_000_000, at: Fixtures.start))
        guard case .freeze(_, let subject) = verdict.decision else {
            Issue.record("expected a freeze, got \(verdict.decision)")
            return
        }
        #expect(subject == .owner(Fixtures.address(5)))
        #expect(Fixtures.isFrozen(engine.evaluate(Fixtures.payment(key: 2, owner: 5, at: Fixtures.start))))
        #expect(engine.evaluate(Fixtures.payment(key: 3, owner: 6, at: Fixtures.start)).isAllowed)
    }

    @Test func aManualFreezeTakesEffectOnTheNextRequest() {
        let engine = RiskEngine()
        let reason = RiskReason(ruleID: "merchant", message: "suspected leak", severity: .critical)
        let events = engine.freeze(.key(Fixtures.keyID(3)), reason: reason, at: Fixtures.start)
        #expect(events.map(\.kind) == [.frozen])
        #expect(Fixtures.isFrozen(engine.evaluate(Fixtures.payment(key: 3, at: Fixtures.start.adding(seconds: 1)))))
    }
}
