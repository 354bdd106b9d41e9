import PBCore
import PBCrypto

/// Everything a `RiskEngine` holds, Codable for the store: each key's and owner's state (least recently used first)
/// and the open breakers. A restart that restores it judges the next payment exactly as the old engine would have.
/// The entries are opaque on purpose: the store persists the snapshot as one document (or one row per key) and
/// never reads inside it.
public struct RiskEngineSnapshot: Sendable, Hashable, Codable {
    /// Bumped when the state's layout changes; a store holding an older snapshot starts empty instead.
    public static let currentVersion = 1

    /// One remembered subject: a key's or owner's state, or an open breaker.
    struct Entry<ID: Sendable & Hashable & Codable, Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
        var id: ID
        var value: Value
    }

    public private(set) var version = Self.currentVersion
    var keys: [Entry<Bytes32, KeyRiskState>] = []
    var owners: [Entry<EthereumAddress, OwnerRiskState>] = []
    var keyBreakers: [Entry<Bytes32, CircuitBreaker>] = []
    var ownerBreakers: [Entry<EthereumAddress, CircuitBreaker>] = []

    init() {}

    public var keyCount: Int { keys.count }
    public var openBreakerCount: Int { keyBreakers.count + ownerBreakers.count }
}
