import PBCore
import PBProtocol
import Synchronization

/// Parsed signed documents by their stored text. Every charge reads its grant and its channel's latest voucher;
/// parsing them again each time (strict JSON, EIP-712 digests, address checksums) cost more than the SQL. The key
/// is the full text, so a hit is exactly the document that was stored; the cache is bounded and cleared when full.
final class StoredDocumentCache: Sendable {
    static let shared = StoredDocumentCache(capacity: 20_000)

    private let capacity: Int
    private let documents = Mutex<[String: SessionDocument]>([:])
    /// Grants by id: a grant id is its document's digest, so the id alone names exactly one document.
    private let grants = Mutex<[Bytes32: SignedSessionGrant]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func grant(_ grantId: Bytes32) -> SignedSessionGrant? { grants.withLock { $0[grantId] } }

    /// Only a grant whose digest was checked against its stored id belongs here.
    func insert(_ grant: SignedSessionGrant) {
        grants.withLock { grants in
            if grants.count >= capacity { grants.removeAll(keepingCapacity: true) }
            grants[grant.digest] = grant
        }
    }

    func document(for text: String) -> SessionDocument? { documents.withLock { $0[text] } }

    func insert(_ document: SessionDocument, for text: String) {
        documents.withLock { documents in
            if documents.count >= capacity { documents.removeAll(keepingCapacity: true) }
            documents[text] = document
        }
    }
}
