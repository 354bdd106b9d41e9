import PBCore
import PBCrypto

/// A type-2 (EIP-1559) transaction: what the EVM rail signs and sends. Amounts in wei fit 128 bits
/// (2^128 wei is 3.4 × 10^20 ether), so the fields are `UInt128` and never a floating type.
public struct EIP1559Transaction: Sendable, Hashable {
    public var chainId: UInt64
    public var nonce: UInt64
    public var maxPriorityFeePerGas: UInt128
    public var maxFeePerGas: UInt128
    public var gasLimit: UInt64
    /// nil creates a contract from `data`.
    public var to: EthereumAddress?
    public var value: UInt128
    public var data: [UInt8]

    public init(
        chainId: UInt64, nonce: UInt64, maxPriorityFeePerGas: UInt128, maxFeePerGas: UInt128, gasLimit: UInt64,
        to: EthereumAddress?, value: UInt128 = 0, data: [UInt8] = []
    ) {
        self.chainId = chainId
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
    }

    /// The nine fields in EIP-1559's order; the access list is always empty here.
    private var fields: [RLP.Item] {
        [
            .integer(chainId), .integer(nonce), .integer(maxPriorityFeePerGas), .integer(maxFeePerGas),
            .integer(gasLimit), .bytes(to?.bytes ?? []), .integer(value), .bytes(data), .list([]),
        ]
    }

    /// keccak256(0x02 ‖ rlp(fields)): what the sender signs.
    public var signingHash: [UInt8] { Keccak256.hash([0x02] + RLP.encode(.list(fields))) }

    /// Signs with `key` (RFC 6979, low s) and returns the raw transaction for `eth_sendRawTransaction`.
    public func signed(with key: PrivateKey) -> SignedEIP1559Transaction {
        // A digest is always 32 bytes, the one thing signing checks.
        let signature = try! key.sign(digest: signingHash)
        let raw: [UInt8] = [0x02] + RLP.encode(
            .list(
                fields + [
                    .integer(UInt64(signature.recoveryID)),
                    .bytes(Array(signature.r.drop { $0 == 0 })), .bytes(Array(signature.s.drop { $0 == 0 })),
                ]))
        return SignedEIP1559Transaction(transaction: self, raw: raw, sender: key.address)
    }
}

/// A signed transaction: its raw bytes and its hash (the id `eth_getTransactionReceipt` takes).
public struct SignedEIP1559Transaction: Sendable, Hashable {
    public let transaction: EIP1559Transaction
    public let raw: [UInt8]
    public let sender: EthereumAddress

    public var hash: Bytes32 { Bytes32(unchecked: Keccak256.hash(raw)) }
    public var rawHex: String { Hex.encode(raw) }
}
