import PBCore
import PBCrypto

/// A transaction the EVM rail signed, kept before it is ever sent: the rail's nonce allocator.
///
/// One row per (chain, signer, nonce) and per (chain, signer, purpose). The nonce key makes it impossible to sign two
/// different transactions with one nonce across restarts; the purpose key ("settle:<batch id>",
/// "register:<grant id>") makes preparing the same thing twice give back the same bytes instead of a second nonce.
public struct EVMTransactionRecord: Sendable, Hashable {
    public let chainId: UInt64
    public let signer: EthereumAddress
    public let nonce: UInt64
    public let purpose: String
    /// keccak256 of what the transaction does (its call data): a purpose reused for other content is refused.
    public let contentDigest: Bytes32
    public let transactionHash: Bytes32
    /// The signed raw transaction, resent byte for byte.
    public let rawTransaction: [UInt8]
    public let createdAt: UnixTime

    public init(
        chainId: UInt64, signer: EthereumAddress, nonce: UInt64, purpose: String, contentDigest: Bytes32,
        transactionHash: Bytes32, rawTransaction: [UInt8], createdAt: UnixTime
    ) {
        self.chainId = chainId
        self.signer = signer
        self.nonce = nonce
        self.purpose = purpose
        self.contentDigest = contentDigest
        self.transactionHash = transactionHash
        self.rawTransaction = rawTransaction
        self.createdAt = createdAt
    }
}

/// Where the EVM rail keeps its signed transactions (docs/CONTRACTS.md, "The EVM rail"). Implemented by the SQLite
/// store; not part of `GatewayStore`, so a store without a chain rail need not have it.
public protocol EVMTransactionStore: Sendable {
    /// Stores `record` unless its purpose is already recorded: returns the stored record for that purpose (the
    /// caller's record when it was new). A nonce already used by another purpose is a `StoreError`, never an
    /// overwrite.
    func recordEVMTransaction(_ record: EVMTransactionRecord) async throws -> EVMTransactionRecord
    func evmTransaction(chainId: UInt64, signer: EthereumAddress, purpose: String) async throws -> EVMTransactionRecord?
    /// The highest nonce recorded for the signer on the chain, nil when none is.
    func highestEVMNonce(chainId: UInt64, signer: EthereumAddress) async throws -> UInt64?
    /// Records with a nonce at or above `fromNonce`, lowest first, at most `limit` (1...1000).
    func evmTransactions(chainId: UInt64, signer: EthereumAddress, fromNonce: UInt64, limit: Int) async throws
        -> [EVMTransactionRecord]
}
