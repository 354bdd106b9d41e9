import PBCore
import PBCrypto
import PBProtocol

/// The gateway's derived credit-window keys: `CreditWindowKeyCache` with the gateway's side of the derivation.
public final class WindowKeyCache: Sendable {
    private let gatewayKey: PrivateKey
    private let keys: CreditWindowKeyCache

    public init(gatewayKey: PrivateKey, capacity: Int = 10_000) {
        self.gatewayKey = gatewayKey
        keys = CreditWindowKeyCache(capacity: capacity)
    }

    public func key(windowId: Bytes32, sessionPublicKey: [UInt8]) throws(CryptoError) -> CreditWindowKey {
        try keys.key(windowId: windowId) { () throws(CryptoError) in
            CreditWindowKey(
                gatewayKey: gatewayKey, sessionPublicKey: try PublicKey(bytes: sessionPublicKey), windowId: windowId)
        }
    }

    /// The key of a window seen before, without touching the store.
    public func cachedKey(windowId: Bytes32) -> CreditWindowKey? { keys.cachedKey(windowId: windowId) }

    public var count: Int { keys.count }
}
