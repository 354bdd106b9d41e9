import PBCore
import PBCrypto
import PBProtocol
import Synchronization

/// Derived credit-window keys, so that the ECDH of a window (~55 µs) is paid once and each call costs one HMAC.
/// Bounded: past `capacity` windows the oldest half is dropped and re-derived on demand.
public final class WindowKeyCache: Sendable {
    private let gatewayKey: PrivateKey
    private let capacity: Int
    private let keys = Mutex<[Bytes32: (key: CreditWindowKey, insertedAt: UInt64)]>([:])
    private let insertions = Atomic<UInt64>(0)

    public init(gatewayKey: PrivateKey, capacity: Int = 10_000) {
        precondition(capacity > 0)
        self.gatewayKey = gatewayKey
        self.capacity = capacity
    }

    public func key(windowId: Bytes32, sessionPublicKey: [UInt8]) throws(CryptoError) -> CreditWindowKey {
        if let cached = keys.withLock({ $0[windowId]?.key }) { return cached }
        let publicKey = try PublicKey(bytes: sessionPublicKey)
        let derived = CreditWindowKey(gatewayKey: gatewayKey, sessionPublicKey: publicKey, windowId: windowId)
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

    /// The key of a window seen before, without touching the store.
    public func cachedKey(windowId: Bytes32) -> CreditWindowKey? {
        keys.withLock { $0[windowId]?.key }
    }

    public var count: Int { keys.withLock { $0.count } }
}
