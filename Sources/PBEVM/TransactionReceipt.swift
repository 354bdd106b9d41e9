import PBCore
import PBCrypto

/// What the rail needs from `eth_getTransactionReceipt`.
public struct TransactionReceipt: Sendable, Hashable {
    public let transactionHash: Bytes32
    public let blockNumber: UInt64
    /// false: the transaction was mined but reverted (its fee was still paid).
    public let succeeded: Bool
    public let gasUsed: UInt64
    public let effectiveGasPrice: UInt128
    public let contractAddress: EthereumAddress?
    /// The events emitted, in order: the rail reads a settlement's per-claim results from them.
    public let logs: [TransactionLog]

    public var logCount: Int { logs.count }
}

/// One event of a receipt: the emitting contract, its topics (topic 0 is the event's signature hash) and data.
public struct TransactionLog: Sendable, Hashable {
    public let address: EthereumAddress
    public let topics: [Bytes32]
    public let data: [UInt8]

    public init(address: EthereumAddress, topics: [Bytes32], data: [UInt8]) {
        self.address = address
        self.topics = topics
        self.data = data
    }
}
