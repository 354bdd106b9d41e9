import PBCore
import PBProtocol
import Synchronization

/// Signed grants by id. A grant's signed content never changes (its status lives in the store and is read under
/// the charge's lock), so caching the content is always safe; the cache is bounded and simply cleared when full.
final class GrantCache: Sendable {
    private let capacity: Int
    private let grants = Mutex<[Bytes32: SignedSessionGrant]>([:])

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func grant(_ grantId: Bytes32) -> SignedSessionGrant? { grants.withLock { $0[grantId] } }

    func insert(_ signed: SignedSessionGrant) {
        grants.withLock { grants in
            if grants.count >= capacity { grants.removeAll(keepingCapacity: true) }
            grants[signed.digest] = signed
        }
    }
}
