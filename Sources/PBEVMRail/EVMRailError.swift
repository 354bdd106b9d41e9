import PBCore
import PBCrypto
import PBEVM

/// Why the EVM rail refused or could not do something, in words a settlement record or an operator can act on.
/// Never carries a key; node messages are cut to 200 characters.
public enum EVMRailError: Error, Hashable, Sendable, CustomStringConvertible {
    case batchTooLarge(claims: Int, maximum: Int)
    case claimInOtherAsset(index: Int, asset: EthereumAddress, token: EthereumAddress)
    case wrongChain(configured: UInt64, node: UInt64)
    /// `eth_estimateGas` says the settlement would revert: nothing was signed.
    case estimationReverted(reason: String)
    case gasAboveCap(estimate: UInt64, cap: UInt64)
    case feeAboveCap(baseFeePerGasWei: UInt128, priorityFeePerGasWei: UInt128, capWei: UInt128)
    /// The worker asked to prepare a batch id it prepared before, with other claims.
    case batchReusedForOtherClaims(batchId: String)
    /// The transaction's nonce was taken by another transaction of the same key: it can never be mined.
    case nonceConsumed(nonce: UInt64, transactionHash: String)
    case broadcastRefused(transactionHash: String, message: String)
    case rpc(EthereumRPCError)
    case store(String)
    case malformedReceipt(transactionHash: String, detail: String)

    public var description: String {
        switch self {
        case .batchTooLarge(let claims, let maximum):
            "a settlement takes at most \(maximum) claims, this batch has \(claims)"
        case .claimInOtherAsset(let index, let asset, let token):
            "claim \(index) is in \(asset), the rail settles \(token) only"
        case .wrongChain(let configured, let node):
            "evm.chainId is \(configured) but the node at evm.rpcUrl serves chain \(node)"
        case .estimationReverted(let reason):
            "the settlement would revert (\(reason.prefix(200))); nothing was signed"
        case .gasAboveCap(let estimate, let cap):
            "the settlement needs \(estimate) gas, above evm.maxGasPerSettlement (\(cap)); split the batch or raise the cap"
        case .feeAboveCap(let baseFee, let tip, let cap):
            "base fee \(baseFee) + tip \(tip) wei per gas is above evm.maxFeePerGasWei (\(cap)); waiting for cheaper gas"
        case .batchReusedForOtherClaims(let batchId):
            "batch \(batchId) was prepared before with other claims; a changed batch needs a new id"
        case .nonceConsumed(let nonce, let hash):
            "transaction \(hash) can never be mined: its nonce \(nonce) was used by another transaction"
        case .broadcastRefused(let hash, let message):
            "the node refused transaction \(hash): \(message.prefix(200))"
        case .rpc(let error): error.description
        case .store(let detail): "storing the signed transaction failed: \(detail.prefix(200))"
        case .malformedReceipt(let hash, let detail): "the receipt of \(hash) does not match its batch: \(detail)"
        }
    }
}

/// EIP-1559 fees from the chain's base fee: `maxFeePerGas = min(2 × base fee + tip, cap)` (room for the base fee to
/// double before the transaction stalls), the tip as the node suggests, at most the tip cap. When the base fee and
/// tip alone exceed the cap, nothing is signed: a transaction that cannot be mined would block every later nonce.
public struct EVMFeePolicy: Sendable, Hashable {
    public let maximumFeePerGasWei: UInt128
    public let maximumPriorityFeePerGasWei: UInt128

    public init(maximumFeePerGasWei: UInt128, maximumPriorityFeePerGasWei: UInt128) {
        self.maximumFeePerGasWei = maximumFeePerGasWei
        self.maximumPriorityFeePerGasWei = maximumPriorityFeePerGasWei
    }

    public func fees(baseFeePerGasWei: UInt128, suggestedPriorityFeePerGasWei: UInt128) throws(EVMRailError)
        -> (maximumFeePerGasWei: UInt128, priorityFeePerGasWei: UInt128)
    {
        let tip = min(suggestedPriorityFeePerGasWei, maximumPriorityFeePerGasWei)
        let (floor, floorOverflow) = baseFeePerGasWei.addingReportingOverflow(tip)
        guard !floorOverflow, floor <= maximumFeePerGasWei else {
            throw .feeAboveCap(baseFeePerGasWei: baseFeePerGasWei, priorityFeePerGasWei: tip, capWei: maximumFeePerGasWei)
        }
        let (doubled, overflow) = baseFeePerGasWei.multipliedReportingOverflow(by: 2)
        let (sum, sumOverflow) = doubled.addingReportingOverflow(tip)
        let wanted = overflow || sumOverflow ? UInt128.max : sum
        return (min(wanted, maximumFeePerGasWei), tip)
    }
}
