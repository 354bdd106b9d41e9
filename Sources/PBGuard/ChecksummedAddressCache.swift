import PBCrypto
import Synchronization

/// EIP-55 texts of the addresses receipts name (the grants' owners): each checksum costs a Keccak hash, and a busy
/// key's owner is named in every one of its receipts. Bounded, and simply cleared when full.
final class ChecksummedAddressCache: Sendable {
    private let capacity: Int
    private let texts = Mutex<[EthereumAddress: String]>([:])

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func checksummed(_ address: EthereumAddress) -> String {
        if let text = texts.withLock({ $0[address] }) { return text }
        let text = address.checksummed
        texts.withLock { texts in
            if texts.count >= capacity { texts.removeAll(keepingCapacity: true) }
            texts[address] = text
        }
        return text
    }
}
