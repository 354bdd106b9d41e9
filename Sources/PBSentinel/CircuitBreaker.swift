import PBCore

/// How a breaker opened at one severity comes back.
public struct BreakerPolicy: Sendable, Hashable {
    /// How long the breaker stays open before probing; nil: until the owner (signed request) or merchant unfreezes.
    public let holdSeconds: Int64?
    /// How long the half-open state lasts: the breaker closes when it passes without a new trip.
    public let probeSeconds: Int64
    /// Payments let through while half-open; one more trips the breaker again (a thief who resumes at full speed
    /// is frozen again at once instead of getting a fresh allowance).
    public let probeAllowance: Int
    /// Each trip while half-open doubles the hold, up to this.
    public let maximumHoldSeconds: Int64

    public init(holdSeconds: Int64?, probeSeconds: Int64, probeAllowance: Int, maximumHoldSeconds: Int64) throws(SentinelError) {
        if let holdSeconds { guard (1...2_592_000).contains(holdSeconds) else { throw .invalid("holdSeconds", "\(holdSeconds) is outside 1...2592000 (30 days)") } }
        guard (1...2_592_000).contains(probeSeconds) else {
            throw .invalid("probeSeconds", "\(probeSeconds) is outside 1...2592000 (30 days)")
        }
        guard (0...10_000).contains(probeAllowance) else {
            throw .invalid("probeAllowance", "\(probeAllowance) is outside 0...10000")
        }
        guard maximumHoldSeconds >= (holdSeconds ?? 1), maximumHoldSeconds <= 2_592_000 else {
            throw .invalid("maximumHoldSeconds", "must be at least holdSeconds and at most 2592000 (30 days)")
        }
        self.holdSeconds = holdSeconds
        self.probeSeconds = probeSeconds
        self.probeAllowance = probeAllowance
        self.maximumHoldSeconds = maximumHoldSeconds
    }

    /// Low: a short hold and a generous probe; critical: only a person lifts it.
    public static let defaults: [Severity: BreakerPolicy] = [
        .low: try! BreakerPolicy(holdSeconds: 300, probeSeconds: 300, probeAllowance: 10, maximumHoldSeconds: 3_600),
        .medium: try! BreakerPolicy(holdSeconds: 900, probeSeconds: 900, probeAllowance: 5, maximumHoldSeconds: 21_600),
        .high: try! BreakerPolicy(holdSeconds: 3_600, probeSeconds: 3_600, probeAllowance: 3, maximumHoldSeconds: 86_400),
        .critical: try! BreakerPolicy(holdSeconds: nil, probeSeconds: 3_600, probeAllowance: 1, maximumHoldSeconds: 86_400),
    ]
}

/// A key's (or owner's) circuit breaker: closed (payments flow), open (all refused) and half-open (a few probes).
///
/// Transitions happen inside `RiskEngine.evaluate` under the key's lock, so a freeze applies to the very next
/// request; time-driven transitions (open -> half-open -> closed) are applied lazily by the next request and stamped
/// with the time they were due, so stored events show when they really happened. Every transition returns its
/// `SentinelEvent`.
public struct CircuitBreaker: Sendable, Hashable, Codable {
    public enum State: Sendable, Hashable, Codable {
        case closed
        /// Refusing until `until` (nil: until unfrozen by hand).
        case open(until: UnixTime?)
        /// Letting `probesLeft` payments through until `until`, then closed.
        case halfOpen(probesLeft: Int, until: UnixTime)
    }

    public private(set) var state: State = .closed
    /// Why it opened (the rule, its message and severity); nil when closed.
    public private(set) var reason: RiskReason?
    /// Trips since it was last closed: each doubles the hold.
    public private(set) var tripCount = 0

    public init() {}

    public var isClosed: Bool { state == .closed }

    /// Whether a payment may go on at `time`, applying any due time-driven transitions first. A refusal gives the
    /// reason; events are the transitions that happened.
    mutating func admit(
        at time: UnixTime, subject: SentinelSubject, policies: [Severity: BreakerPolicy], events: inout [SentinelEvent]
    ) -> RiskReason? {
        guard let reason else { return nil }
        let policy = policies[reason.severity] ?? BreakerPolicy.defaults[reason.severity]!
        if case .open(let until?) = state, time >= until {
            state = .halfOpen(probesLeft: policy.probeAllowance, until: until.adding(seconds: policy.probeSeconds))
            events.append(event(.halfOpened, subject, "hold ended; \(policy.probeAllowance) probe payments allowed for \(policy.probeSeconds) s", until))
        }
        if case .halfOpen(_, let until) = state, time >= until {
            events.append(event(.closed, subject, "probe period passed without a new trip", until))
            state = .closed
            self.reason = nil
            tripCount = 0
            return nil
        }
        switch state {
        case .closed: return nil
        case .open: return reason
        case .halfOpen(let probesLeft, let until):
            guard probesLeft > 0 else {
                trip(reason, at: time, subject: subject, policies: policies, events: &events,
                     details: "more payments than the probe allowance while half-open")
                return reason
            }
            state = .halfOpen(probesLeft: probesLeft - 1, until: until)
            return nil
        }
    }

    /// Opens the breaker for `reason` (again, with a doubled hold, when half-open). Opening an open breaker only
    /// raises its severity when the new reason is worse, so one incident stays one freeze.
    mutating func trip(
        _ newReason: RiskReason, at time: UnixTime, subject: SentinelSubject, policies: [Severity: BreakerPolicy],
        events: inout [SentinelEvent], details: String
    ) {
        if case .open = state, let reason, newReason.severity <= reason.severity { return }
        let wasHalfOpen: Bool
        if case .halfOpen = state { wasHalfOpen = true } else { wasHalfOpen = false }
        let worst = reason.map { $0.severity > newReason.severity ? $0 : newReason } ?? newReason
        let policy = policies[worst.severity] ?? BreakerPolicy.defaults[worst.severity]!
        tripCount += 1
        reason = worst
        let until = policy.holdSeconds.map { hold in
            let doubled = hold << min(tripCount - 1, 20)
            return time.adding(seconds: min(doubled, policy.maximumHoldSeconds))
        }
        state = .open(until: until)
        let holdText = until.map { "until \($0.seconds) (trip \(tripCount))" } ?? "until unfrozen by the owner"
        events.append(
            SentinelEvent(
                subject: subject, kind: wasHalfOpen ? .refrozen : .frozen, severity: worst.severity,
                ruleID: newReason.ruleID, action: .freeze, details: "\(details); frozen \(holdText)", time: time))
    }

    /// Closes the breaker by hand (the owner's signed unfreeze, or the merchant); nil when it was closed already.
    mutating func unfreeze(at time: UnixTime, subject: SentinelSubject, note: String) -> SentinelEvent? {
        guard let reason else { return nil }
        defer {
            state = .closed
            self.reason = nil
            tripCount = 0
        }
        return SentinelEvent(
            subject: subject, kind: .unfrozen, severity: reason.severity, ruleID: reason.ruleID, action: nil,
            details: note, time: time)
    }

    private func event(_ kind: SentinelEvent.Kind, _ subject: SentinelSubject, _ details: String, _ time: UnixTime)
        -> SentinelEvent
    {
        SentinelEvent(
            subject: subject, kind: kind, severity: reason?.severity ?? .low, ruleID: reason?.ruleID, action: nil,
            details: details, time: time)
    }
}
