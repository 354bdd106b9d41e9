import PBCore
import PBCrypto

/// One evaluation, run by `RiskEngine` while it holds the key's and the owner's shard locks.
enum RiskEvaluation {
    static func run(
        _ subject: ConditionSubject, keys: inout KeyShard, owners: inout OwnerShard
    ) -> RiskVerdict {
        let keyID = subject.keyID
        let owner = subject.owner
        let policy = keys.policy
        let time = subject.time
        var events: [SentinelEvent] = []
        let isPayment = subject.payment != nil
        // Open breakers first: a frozen key or owner is refused before any rule runs, and nothing is learned.
        if isPayment {
            if let refusal = admit(&owners.breakers, owner, .owner(owner), time, policy, &events) {
                return RiskVerdict(decision: .frozen(refusal, .owner(owner)), events: events)
            }
            if let refusal = admit(&keys.breakers, keyID, .key(keyID), time, policy, &events) {
                return RiskVerdict(decision: .frozen(refusal, .key(keyID)), events: events)
            }
        }
        let settings = subject.settings
        let outcome = keys.states.withValue(for: keyID, orInsert: { KeyRiskState(firstSeen: time, settings: settings) }) { key in
            owners.states.withValue(for: owner, orInsert: { OwnerRiskState(firstSeen: time) }) { ownerState in
                judge(subject, policy: policy, key: &key, owner: &ownerState, events: &events)
            }
        }
        guard let (action, reason) = outcome else { return RiskVerdict(decision: .allow, events: events) }
        switch action {
        case .block:
            return RiskVerdict(decision: .block(reason), events: events)
        case .freeze:
            keys.breakers[keyID, default: CircuitBreaker()].trip(
                reason, at: time, subject: .key(keyID), policies: policy.breakerPolicies, events: &events,
                details: "rule \(reason.ruleID): \(reason.message)")
            return RiskVerdict(decision: .freeze(reason, .key(keyID)), events: events)
        default:
            owners.breakers[owner, default: CircuitBreaker()].trip(
                reason, at: time, subject: .owner(owner), policies: policy.breakerPolicies, events: &events,
                details: "rule \(reason.ruleID): \(reason.message)")
            return RiskVerdict(decision: .freeze(reason, .owner(owner)), events: events)
        }
    }

    /// Applies due transitions of a breaker and says whether it refuses; a breaker that closed is dropped.
    private static func admit<Key: Hashable>(
        _ breakers: inout [Key: CircuitBreaker], _ id: Key, _ subject: SentinelSubject, _ time: UnixTime,
        _ policy: SentinelPolicy, _ events: inout [SentinelEvent]
    ) -> RiskReason? {
        guard breakers[id] != nil else { return nil }
        let refusal = breakers[id]!.admit(at: time, subject: subject, policies: policy.breakerPolicies, events: &events)
        if breakers[id]!.isClosed { breakers[id] = nil }
        return refusal
    }

    /// Runs the rules, records their firings (alerting once per incident), then counts the observation. Returns the
    /// refusing action and its reason, or nil to allow.
    private static func judge(
        _ subject: ConditionSubject, policy: SentinelPolicy, key: inout KeyRiskState, owner: inout OwnerRiskState,
        events: inout [SentinelEvent]
    ) -> (RuleAction, RiskReason)? {
        let time = subject.time
        var strongest: (action: RuleAction, reason: RiskReason)?
        for rule in policy.rules {
            guard subject.payment != nil || (!rule.needsPayment && rule.countsRefusals) else { continue }
            guard rule.conditions.allSatisfy({ $0.holds(subject, key: key, owner: owner) }) else { continue }
            let startsIncident = rule.isOwnerWide ? owner.cooldowns.fire(rule, at: time) : key.cooldowns.fire(rule, at: time)
            if let suppressed = startsIncident {
                let measured = rule.conditions.map { $0.explain(subject, key: key, owner: owner) }.joined(separator: "; ")
                let repeats = suppressed > 0 ? " (\(suppressed) more firings in the previous incident)" : ""
                events.append(
                    SentinelEvent(
                        subject: rule.isOwnerWide ? .owner(subject.owner) : .key(subject.keyID),
                        kind: .ruleFired, severity: rule.severity, ruleID: rule.id, action: rule.action,
                        details: "\(rule.message): \(measured)\(repeats)", time: time))
            }
            if rule.action == .allow { break }
            let reason = RiskReason(ruleID: rule.id, message: rule.message, severity: rule.severity)
            if rule.action.strength > (strongest?.action.strength ?? RuleAction.allow.strength) {
                strongest = (rule.action, reason)
            }
        }
        guard let payment = subject.payment else {
            key.refusals = key.refusals ?? ActivityWindows()
            key.refusals?.add(at: time, spend: 0)
            return strongest
        }
        // Every attempt counts towards velocity (a refused burst still is a burst), but only allowed payments count
        // as spend and feed the statistics.
        let allowed = strongest == nil
        key.activity.add(at: time, spend: allowed ? payment.amount : 0)
        owner.activity.add(at: time, spend: allowed ? payment.amount : 0)
        if allowed {
            key.learn(from: payment, hashes: subject)
        }
        return strongest
    }
}

extension SentinelRule {
    /// Owner-wide rules keep their cooldown on the owner, so an incident across many keys alerts once.
    var isOwnerWide: Bool {
        action == .freezeOwner
            || conditions.contains {
                switch $0 {
                case .calls(.owner, _, _), .spend(.owner, _, _), .callsVsBaseline(.owner, _, _, _),
                    .spendVsBaseline(.owner, _, _, _):
                    true
                default: false
                }
            }
    }

    var countsRefusals: Bool {
        conditions.contains {
            if case .refusals = $0 { return true }
            return false
        }
    }
}
