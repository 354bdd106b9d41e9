import PBCore
import PBCrypto
import PBEVM
import PBStore

/// Nonces for the rail's signer that survive restarts, and sending in nonce order.
///
/// Every transaction is signed and stored (`EVMTransactionStore`) BEFORE it is sent, under a purpose that names what
/// it does. The next nonce is `max(highest stored + 1, the node's pending count)`: the store remembers transactions
/// the node may have lost, the node counts transactions another process sent with the key. Before a transaction is
/// sent, every stored one with a lower nonce the node has not seen is resent, lowest first, so a crash between
/// "signed" and "sent" never leaves a gap that would block later nonces. One allocator per signer and store at a
/// time (the gate below serialises this process; two gateways sharing a key would need a shared store).
actor EVMNonceAllocator {
    let chainId: UInt64
    let signer: PrivateKey
    private let client: EthereumRPCClient
    private let store: any EVMTransactionStore
    private let clock: any WallClock
    /// Stored records resent per call at most; beyond it, the next call continues.
    static let maximumResends = 1_000

    init(chainId: UInt64, signer: PrivateKey, client: EthereumRPCClient, store: any EVMTransactionStore, clock: any WallClock) {
        self.chainId = chainId
        self.signer = signer
        self.client = client
        self.store = store
        self.clock = clock
    }

    /// The stored transaction for `purpose`, or nil.
    func recorded(_ purpose: String) async throws(EVMRailError) -> EVMTransactionRecord? {
        do { return try await store.evmTransaction(chainId: chainId, signer: signer.address, purpose: purpose) } catch {
            throw .store(String(describing: error))
        }
    }

    /// Signs `transaction` (its nonce set here) and stores it under `purpose`; an existing record for the purpose is
    /// returned instead (same bytes as before, no new nonce). The rail calls this under its gate, one at a time;
    /// the store's (chain, signer, nonce) key is the backstop: a nonce is never stored for two purposes.
    func signAndRecord(_ transaction: EIP1559Transaction, purpose: String) async throws(EVMRailError) -> EVMTransactionRecord {
        if let existing = try await recorded(purpose) { return existing }
        let nonce = try await nextNonce()
        var unsigned = transaction
        unsigned.chainId = chainId
        unsigned.nonce = nonce
        let signed = unsigned.signed(with: signer)
        let record = EVMTransactionRecord(
            chainId: chainId, signer: signer.address, nonce: nonce, purpose: purpose,
            contentDigest: Self.contentDigest(transaction.data), transactionHash: signed.hash,
            rawTransaction: signed.raw, createdAt: clock.now)
        do { return try await store.recordEVMTransaction(record) } catch {
            throw .store(String(describing: error))
        }
    }

    static func contentDigest(_ callData: [UInt8]) -> Bytes32 { Bytes32(unchecked: Keccak256.hash(callData)) }

    private func nextNonce() async throws(EVMRailError) -> UInt64 {
        let stored: UInt64?
        do { stored = try await store.highestEVMNonce(chainId: chainId, signer: signer.address) } catch {
            throw .store(String(describing: error))
        }
        let pending = try await rpc { try await $0.transactionCount(of: self.signer.address) }
        return max(stored.map { $0 + 1 } ?? 0, pending)
    }

    /// Sends `record`, after every stored transaction with a lower nonce the node does not count yet. An answer
    /// that the transaction is already known, or a receipt for it, is success.
    func send(_ record: EVMTransactionRecord) async throws(EVMRailError) {
        let pending = try await rpc { try await $0.transactionCount(of: self.signer.address) }
        if record.nonce > pending {
            let earlier: [EVMTransactionRecord]
            do {
                earlier = try await store.evmTransactions(
                    chainId: chainId, signer: signer.address, fromNonce: pending, limit: Self.maximumResends)
            } catch { throw .store(String(describing: error)) }
            for gap in earlier where gap.nonce < record.nonce { try await sendOne(gap) }
        }
        try await sendOne(record)
    }

    /// At start: resends every stored transaction the node does not count yet, lowest nonce first, so none of them
    /// blocks the nonces after it. Returns how many were resent.
    @discardableResult
    func reconcile() async throws(EVMRailError) -> Int {
        let node = try await rpc { try await $0.chainId() }
        guard node == chainId else { throw .wrongChain(configured: chainId, node: node) }
        let pending = try await rpc { try await $0.transactionCount(of: self.signer.address) }
        let waiting: [EVMTransactionRecord]
        do {
            waiting = try await store.evmTransactions(
                chainId: chainId, signer: signer.address, fromNonce: pending, limit: Self.maximumResends)
        } catch { throw .store(String(describing: error)) }
        for record in waiting { try await sendOne(record) }
        return waiting.count
    }

    private func sendOne(_ record: EVMTransactionRecord) async throws(EVMRailError) {
        do {
            _ = try await client.call("eth_sendRawTransaction", [.string(Hex.encode(record.rawTransaction))])
        } catch {
            if case .node(_, let message) = error.kind {
                let lowered = message.lowercased()
                if lowered.contains("already known") || lowered.contains("known transaction") { return }
                // Mined already (a resend after a crash): the receipt is the proof.
                if (try? await client.transactionReceipt(record.transactionHash)) ?? nil != nil { return }
                let mined = try await rpc { try await $0.transactionCount(of: self.signer.address, block: "latest") }
                if mined > record.nonce {
                    throw .nonceConsumed(nonce: record.nonce, transactionHash: record.transactionHash.hex)
                }
                throw .broadcastRefused(transactionHash: record.transactionHash.hex, message: message)
            }
            throw .rpc(error)
        }
    }

    private func rpc<Value: Sendable>(_ body: (EthereumRPCClient) async throws -> Value) async throws(EVMRailError)
        -> Value
    {
        do { return try await body(client) } catch let error as EthereumRPCError { throw .rpc(error) } catch {
            throw .rpc(EthereumRPCError(method: "eth", kind: .malformedResponse(String(describing: error))))
        }
    }
}
