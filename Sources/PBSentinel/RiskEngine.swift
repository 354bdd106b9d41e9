import PBCore
import PBCrypto
import Synchronization

/// Sentinel's risk engine: judges each payment against the policy's rules and the key's statistics, keeps the
/// per-key and per-owner state in bounded memory, and runs the circuit breakers.
///
/// Called concurrently from request handlers. State is split over `settings.shardCount` key shards and as many owner
/// shards, each behind its own `Mutex`; one evaluation holds its key's shard lock and, inside it, its owner's shard
/// lock (always in that order, and nothing takes a key lock while holding an owner lock, so they cannot deadlock).
/// There is no global lock on the hot path: each shard keeps its own reference to the policy, and `replacePolicy`
/// updates them shard by shard.
///
/// Integration seams: the gateway builds a `PaymentObservation` just before the charge and honours the verdict
/// (`.block` and `.freeze` refuse; a manual-only freeze is also written to the grant's status), reports refusals
/// with `recordRefusal`, stores every returned `SentinelEvent`, dispatches `verdict.alerts`, calls `unfreeze` after
/// verifying an owner's signed request, and persists `snapshot()` (restoring with `init(policy:settings:snapshot:)`).
public final class RiskEngine: Sendable {
    public let settings: RiskEngineSettings
    private let keyShards: [LockedShard<KeyShard>]
    private let ownerShards: [LockedShard<OwnerShard>]

    public init(policy: SentinelPolicy = .standard, settings: RiskEngineSettings = RiskEngineSettings(), snapshot: RiskEngineSnapshot? = nil) {
        let settings = settings.validated()
        self.settings = settings
        let keysPerShard = max(1, (settings.maximumKeys + settings.shardCount - 1) / settings.shardCount)
        let ownersPerShard = max(1, (settings.maximumOwners + settings.shardCount - 1) / settings.shardCount)
        keyShards = (0..<settings.shardCount).map { _ in
            LockedShard(KeyShard(policy: policy.separateCopy, states: LRUTable(capacity: keysPerShard)))
        }
        ownerShards = (0..<settings.shardCount).map { _ in LockedShard(OwnerShard(states: LRUTable(capacity: ownersPerShard))) }
        if let snapshot { restore(snapshot) }
    }

    /// Judges one payment and counts it. Call it once per payment, just before the charge.
    public func evaluate(_ observation: PaymentObservation) -> RiskVerdict {
        let payeeHash = StableHash.of(observation.payee.bytes)
        let serviceHash = StableHash.of(observation.service.utf8)
        let subject = ConditionSubject(
            keyID: observation.keyID, owner: observation.owner, time: observation.time, payment: observation,
            clientIP: observation.clientIP, payeeHash: payeeHash, serviceHash: serviceHash,
            clientIPHash: observation.clientIP.map { StableHash.of($0.utf8) }, settings: settings)
        return keyShard(observation.keyID).mutex.withLock { keys in
            ownerShard(observation.owner).mutex.withLock { owners in
                RiskEvaluation.run(subject, keys: &keys, owners: &owners)
            }
        }
    }

    /// Counts a payment the gateway refused by its own checks; a refusal storm can freeze the key. The verdict's
    /// events are to be stored like those of `evaluate`.
    public func recordRefusal(_ refusal: RefusalObservation) -> RiskVerdict {
        let subject = ConditionSubject(
            keyID: refusal.keyID, owner: refusal.owner, time: refusal.time, payment: nil, clientIP: refusal.clientIP,
            payeeHash: 0, serviceHash: 0, clientIPHash: nil, settings: settings)
        return keyShard(refusal.keyID).mutex.withLock { keys in
            ownerShard(refusal.owner).mutex.withLock { owners in
                RiskEvaluation.run(subject, keys: &keys, owners: &owners)
            }
        }
    }

    /// The policy in force.
    public var policy: SentinelPolicy { keyShards[0].mutex.withLock { $0.policy } }

    /// Puts a new policy in force, shard by shard (a payment judged meanwhile sees the old or the new one, never a
    /// mix). Cooldowns are kept by rule id, so a rule that stays keeps its incidents.
    public func replacePolicy(_ policy: SentinelPolicy) {
        for shard in keyShards {
            let copy = policy.separateCopy
            shard.mutex.withLock { $0.policy = copy }
        }
    }

    /// The breaker of a key or owner; nil when closed (or never opened).
    public func breaker(for subject: SentinelSubject) -> CircuitBreaker? {
        switch subject {
        case .key(let id): keyShard(id).mutex.withLock { $0.breakers[id] }
        case .owner(let owner): ownerShard(owner).mutex.withLock { $0.breakers[owner] }
        }
    }

    /// Lifts a freeze: the gateway calls this after verifying the owner's signed unfreeze (or for the merchant).
    /// Returns the `unfrozen` event to store, nil when there was no freeze.
    public func unfreeze(_ subject: SentinelSubject, at time: UnixTime, note: String) -> SentinelEvent? {
        switch subject {
        case .key(let id):
            keyShard(id).mutex.withLock { shard in
                defer { shard.breakers[id] = nil }
                return shard.breakers[id]?.unfreeze(at: time, subject: subject, note: note)
            }
        case .owner(let owner):
            ownerShard(owner).mutex.withLock { shard in
                defer { shard.breakers[owner] = nil }
                return shard.breakers[owner]?.unfreeze(at: time, subject: subject, note: note)
            }
        }
    }

    /// Freezes by hand (the merchant's console, or an alert handler), with the severity's breaker policy.
    public func freeze(_ subject: SentinelSubject, reason: RiskReason, at time: UnixTime) -> [SentinelEvent] {
        var events: [SentinelEvent] = []
        switch subject {
        case .key(let id):
            keyShard(id).mutex.withLock { shard in
                shard.breakers[id, default: CircuitBreaker()].trip(
                    reason, at: time, subject: subject, policies: shard.policy.breakerPolicies, events: &events,
                    details: "frozen by hand: \(reason.message)")
            }
        case .owner(let owner):
            let policies = policy.breakerPolicies
            ownerShard(owner).mutex.withLock { shard in
                shard.breakers[owner, default: CircuitBreaker()].trip(
                    reason, at: time, subject: subject, policies: policies, events: &events,
                    details: "frozen by hand: \(reason.message)")
            }
        }
        return events
    }

    /// Keys whose state is held now (at most `settings.maximumKeys`), and how many were forgotten to make room.
    public var trackedKeys: (count: Int, evicted: Int) {
        keyShards.reduce((0, 0)) { total, shard in
            shard.mutex.withLock { (total.0 + $0.states.count, total.1 + $0.states.evictionCount) }
        }
    }

    /// Everything the engine holds, for the store to persist: key and owner state (least recently used first, so a
    /// restore keeps the eviction order) and open breakers.
    public func snapshot() -> RiskEngineSnapshot {
        var snapshot = RiskEngineSnapshot()
        for shard in keyShards {
            shard.mutex.withLock { keys in
                snapshot.keys += keys.states.entriesFromLeastRecent.map { .init(id: $0.key, value: $0.value) }
                snapshot.keyBreakers += keys.breakers.sorted { $0.key < $1.key }.map { .init(id: $0.key, value: $0.value) }
            }
        }
        for shard in ownerShards {
            shard.mutex.withLock { owners in
                snapshot.owners += owners.states.entriesFromLeastRecent.map { .init(id: $0.key, value: $0.value) }
                snapshot.ownerBreakers += owners.breakers.sorted { $0.key < $1.key }.map { .init(id: $0.key, value: $0.value) }
            }
        }
        return snapshot
    }

    /// Loads a snapshot saved by an earlier engine (what `init(policy:settings:snapshot:)` does); call it before the
    /// first payment, as the gateway does at start-up when it reads the snapshot from its store.
    public func restore(_ snapshot: RiskEngineSnapshot) {
        // A snapshot of another layout is ignored: the engine starts empty rather than misread state.
        guard snapshot.version == RiskEngineSnapshot.currentVersion else { return }
        for entry in snapshot.keys { keyShard(entry.id).mutex.withLock { $0.states.insertAsMostRecent(entry.id, entry.value) } }
        for entry in snapshot.keyBreakers { keyShard(entry.id).mutex.withLock { $0.breakers[entry.id] = entry.value } }
        for entry in snapshot.owners { ownerShard(entry.id).mutex.withLock { $0.states.insertAsMostRecent(entry.id, entry.value) } }
        for entry in snapshot.ownerBreakers { ownerShard(entry.id).mutex.withLock { $0.breakers[entry.id] = entry.value } }
    }

    private func keyShard(_ id: Bytes32) -> LockedShard<KeyShard> {
        keyShards[Int(StableHash.prefix(id.bytes) % UInt64(keyShards.count))]
    }

    private func ownerShard(_ owner: EthereumAddress) -> LockedShard<OwnerShard> {
        ownerShards[Int(StableHash.prefix(owner.bytes) % UInt64(ownerShards.count))]
    }
}

/// A `Mutex` in a class, so that shards can sit in an array (a `Mutex` cannot be copied).
final class LockedShard<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
}

struct KeyShard: Sendable {
    var policy: SentinelPolicy
    var states: LRUTable<Bytes32, KeyRiskState>
    /// Breakers that are not closed, kept apart from the LRU table so that forgetting a quiet key's statistics never
    /// lifts its freeze.
    var breakers: [Bytes32: CircuitBreaker] = [:]
}

struct OwnerShard: Sendable {
    var states: LRUTable<EthereumAddress, OwnerRiskState>
    var breakers: [EthereumAddress: CircuitBreaker] = [:]
}
