import PBCore
import PBCrypto
import PBStore
import Testing

/// What every `EVMTransactionStore` must do: one nonce never holds two purposes, one purpose never gets two nonces.
public struct EVMTransactionStoreSuite: Sendable {
    let makeStore: @Sendable () async throws -> any EVMTransactionStore

    public init(makeStore: @escaping @Sendable () async throws -> any EVMTransactionStore) {
        self.makeStore = makeStore
    }

    func record(nonce: UInt64, purpose: String, signer: EthereumAddress, chainId: UInt64 = 31337) -> EVMTransactionRecord {
        EVMTransactionRecord(
            chainId: chainId, signer: signer, nonce: nonce, purpose: purpose, contentDigest: .random(),
            transactionHash: .random(), rawTransaction: [0x02] + Bytes32.random().bytes, createdAt: UnixTime(seconds: 1_700_000_000))
    }

    public func aNonceHoldsOnePurposeAndAPurposeOneNonce() async throws {
        let store = try await makeStore()
        let signer = PrivateKey.random().address
        #expect(try await store.highestEVMNonce(chainId: 31337, signer: signer) == nil)
        let first = record(nonce: 0, purpose: "settle:a", signer: signer)
        #expect(try await store.recordEVMTransaction(first) == first)
        // The same purpose again (a restart preparing the same batch): the first record, unchanged.
        #expect(try await store.recordEVMTransaction(record(nonce: 1, purpose: "settle:a", signer: signer)) == first)
        #expect(try await store.highestEVMNonce(chainId: 31337, signer: signer) == 0)
        // Another purpose on a taken nonce is refused, whatever its content.
        await #expect(throws: (any Error).self) {
            try await store.recordEVMTransaction(record(nonce: 0, purpose: "settle:b", signer: signer))
        }
        let second = record(nonce: 1, purpose: "settle:b", signer: signer)
        #expect(try await store.recordEVMTransaction(second) == second)
        // Other signers and chains count on their own.
        let elsewhere = record(nonce: 0, purpose: "settle:a", signer: signer, chainId: 1)
        #expect(try await store.recordEVMTransaction(elsewhere) == elsewhere)
        #expect(try await store.evmTransaction(chainId: 31337, signer: signer, purpose: "settle:b") == second)
        #expect(try await store.evmTransactions(chainId: 31337, signer: signer, fromNonce: 0, limit: 10) == [first, second])
        #expect(try await store.evmTransactions(chainId: 31337, signer: signer, fromNonce: 1, limit: 10) == [second])
        #expect(try await store.highestEVMNonce(chainId: 31337, signer: PrivateKey.random().address) == nil)
    }
}
