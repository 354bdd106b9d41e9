import PBCore
import PBSentinel

/// A `SentinelEvent` as stored: its place in the log (ascending, the list's cursor) and the event.
public struct StoredSentinelEvent: Sendable, Hashable {
    public let sequence: Int64
    public let event: SentinelEvent

    public init(sequence: Int64, event: SentinelEvent) {
        self.sequence = sequence
        self.event = event
    }
}

/// What Sentinel keeps: its events (rule firings and breaker transitions, listable), the engine's snapshot (so a
/// restart does not forget what it learned) and a policy put through the API.
public protocol SentinelStore: Sendable {
    /// Appends the events in order, in one transaction.
    func appendSentinelEvents(_ events: [SentinelEvent]) async throws
    /// Events, newest first, optionally of one key or owner.
    func sentinelEvents(subject: SentinelSubject?, after cursor: String?, limit: Int) async throws
        -> Page<StoredSentinelEvent>
    /// Replaces the stored snapshot.
    func saveRiskSnapshot(_ snapshot: RiskEngineSnapshot, at time: UnixTime) async throws
    func riskSnapshot() async throws -> RiskEngineSnapshot?
    /// Replaces the policy put through `/v1/sentinel/rules`.
    func saveSentinelPolicy(_ policy: SentinelPolicyConfig, at time: UnixTime) async throws
    func sentinelPolicy() async throws -> SentinelPolicyConfig?
}
