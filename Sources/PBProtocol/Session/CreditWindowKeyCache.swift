import PBCore
import Synchronization

/// Derived credit-window keys by window id, so that a window's ECDH (~55 µs) is paid once and each call or receipt
/// costs one HMAC. Both sides keep one: the gateway derives with its key and the session's public key, the client
/// with the session key and the gateway's. Bounded: past `capacity` windows the older half is dropped and derived
/// again on demand.
public final class CreditWindowKeyCache: Sendable {
    private let capacity: Int
    private let keys = Mutex<[Bytes32: (key: CreditWindowKey, insertedAt: UInt64)]>([:])
    private let insertions = Atomic<UInt64>(0)

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// The cached key of `windowId`, or `derive()`'s, kept.
    public func key<Failure: Error>(
        windowId: Bytes32, derive: () throws(Failure) -> CreditWindowKey
    ) throws(Failure) -> CreditWindowKey {
        if let cached = cachedKey(windowId: windowId) { return cached }
        let derived = try derive()
        let order = insertions.add(1, ordering: .relaxed).newValue
        keys.withLock { keys in
            if keys.count >= capacity {
                let survivors = keys.sorted { $0.value.insertedAt > $1.value.insertedAt }.prefix(capacity / 2)
                keys = Dictionary(uniqueKeysWithValues: survivors.map { ($0.key, $0.value) })
            }
            keys[windowId] = (derived, order)
        }
        return derived
    }

    /// The key of a window seen before, without deriving it.
    public func cachedKey(windowId: Bytes32) -> CreditWindowKey? {
        keys.withLock { $0[windowId]?.key }
    }

    public var count: Int { keys.withLock { $0.count } }
}
