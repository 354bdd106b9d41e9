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
    public let logCount: Int
}
