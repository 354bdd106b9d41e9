import PBCore
import PBCrypto
import PBProtocol
import PBSentinel
import PBStore
import Synchronization

/// Where the payment path hands Sentinel's events (rule firings and breaker transitions). It runs inside the
/// charge's transaction, so it must only enqueue and return: storing and alerting happen elsewhere.
public protocol SentinelEventQueue: Sendable {
    func enqueue(_ events: [SentinelEvent])
}

/// Sentinel on the payment path: judges each payment that passed the protocol's checks 12 to 19, inside the charge's
/// transaction and before its write, so a refused payment is never charged and never teaches the statistics.
///
/// Switchable at run time (`isEnabled`) and its policy replaceable (`engine.replacePolicy`), both without a restart.
public final class PaymentRiskGate: Sendable {
    public let engine: RiskEngine
    private let enabled: Atomic<Bool>
    private let events: any SentinelEventQueue

    public init(engine: RiskEngine, isEnabled: Bool = true, events: any SentinelEventQueue) {
        self.engine = engine
        self.enabled = Atomic(isEnabled)
        self.events = events
    }

    public var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// Judges one payment about to be charged. Returns the refusal when Sentinel refuses it, and whether this very
    /// payment froze the key (the caller then writes the grant's status, once).
    func judge(_ attempt: PaymentAttempt, grant: GrantRecord, clientIP: String?) -> RiskRefusal? {
        let observation = PaymentObservation(
            keyID: grant.grantId, owner: grant.grant.owner, service: attempt.offer.service.id,
            payee: attempt.channel.payee, amount: attempt.offer.price, time: attempt.now, clientIP: clientIP,
            remainingBeforePayment: grant.remaining, totalLimit: grant.grant.totalLimit)
        let verdict = engine.evaluate(observation)
        if !verdict.events.isEmpty { events.enqueue(verdict.events) }
        switch verdict.decision {
        case .allow:
            return nil
        case .block(let reason):
            return RiskRefusal(
                refusal: PaymentRefusal(.pbRiskBlocked, "refused by Sentinel rule \(reason.ruleID): \(reason.message)"),
                freezes: nil)
        case .freeze(let reason, let subject):
            return RiskRefusal(refusal: Self.frozen(reason, subject), freezes: subject)
        case .frozen(let reason, let subject):
            return RiskRefusal(refusal: Self.frozen(reason, subject), freezes: nil)
        }
    }

    /// Counts a payment the protocol's own checks refused, so that a storm of refusals can freeze the key.
    func recordRefusal(_ refusal: PaymentRefusal, grant: GrantRecord, at time: UnixTime, clientIP: String?) {
        // A key refused because it is frozen or revoked is already stopped; counting those would re-freeze it.
        guard refusal.code != .pbKeyFrozen, refusal.code != .pbGrantRevoked else { return }
        let verdict = engine.recordRefusal(
            RefusalObservation(
                keyID: grant.grantId, owner: grant.grant.owner, code: refusal.code.rawValue, time: time, clientIP: clientIP))
        if !verdict.events.isEmpty { events.enqueue(verdict.events) }
    }

    /// Lifts Sentinel's freeze of a key (after the owner's signed request or the merchant's unfreeze) and queues the
    /// `unfrozen` event; false when the engine held no freeze for it.
    @discardableResult
    public func unfreeze(_ grantId: Bytes32, at time: UnixTime, note: String) -> Bool {
        guard let event = engine.unfreeze(.key(grantId), at: time, note: note) else { return false }
        events.enqueue([event])
        return true
    }

    private static func frozen(_ reason: RiskReason, _ subject: SentinelSubject) -> PaymentRefusal {
        let whom = if case .owner = subject { "every key of this owner is" } else { "session key is" }
        return PaymentRefusal(.pbKeyFrozen, "\(whom) frozen by Sentinel rule \(reason.ruleID): \(reason.message)")
    }
}

/// Sentinel's refusal of one payment; `freezes` names the key or owner this payment froze.
struct RiskRefusal: Sendable {
    let refusal: PaymentRefusal
    let freezes: SentinelSubject?
}

/// Carries a freeze decided inside the charge's transaction out to the caller, which then writes the grant's
/// status (one store write per freeze, none per ordinary payment).
final class FreezeNote: Sendable {
    private let subject = Mutex<SentinelSubject?>(nil)

    func set(_ value: SentinelSubject) { subject.withLock { $0 = value } }
    var value: SentinelSubject? { subject.withLock { $0 } }
}
