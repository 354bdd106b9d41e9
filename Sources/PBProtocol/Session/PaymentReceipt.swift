import PBCore
import PBCrypto

/// What the gateway signs for each charged payment (docs/PROTOCOL.md, section 9).
public struct PaymentReceipt: Sendable, Hashable, EIP712Struct {
    public var receiptId: Bytes32
    public var grantId: Bytes32
    public var payee: EthereumAddress
    public var amount: UInt128
    public var chargedCumulativeAmount: UInt128
    public var remainingLimit: UInt128
    public var sequence: UInt64
    /// 0 for a single-payment voucher, the call's index inside a credit window otherwise.
    public var callIndex: UInt64
    public var requestBinding: Bytes32
    public var issuedAt: UInt64

    public init(
        receiptId: Bytes32, grantId: Bytes32, payee: EthereumAddress, amount: UInt128,
        chargedCumulativeAmount: UInt128, remainingLimit: UInt128, sequence: UInt64, callIndex: UInt64,
        requestBinding: Bytes32, issuedAt: UInt64
    ) {
        self.receiptId = receiptId
        self.grantId = grantId
        self.payee = payee
        self.amount = amount
        self.chargedCumulativeAmount = chargedCumulativeAmount
        self.remainingLimit = remainingLimit
        self.sequence = sequence
        self.callIndex = callIndex
        self.requestBinding = requestBinding
        self.issuedAt = issuedAt
    }

    /// `keccak256(voucherId ‖ uint64be(callIndex))`: derived, so a retried payment gets the same receipt.
    public static func receiptId(voucherId: Bytes32, callIndex: UInt64) -> Bytes32 {
        Bytes32(unchecked: Keccak256.hash(voucherId.bytes + bigEndianBytes(callIndex)))
    }

    public static let eip712TypeName = "PaymentReceipt"
    public static let eip712Fields: [EIP712Field] = [
        EIP712Field(name: "receiptId", type: "bytes32"),
        EIP712Field(name: "grantId", type: "bytes32"),
        EIP712Field(name: "payee", type: "address"),
        EIP712Field(name: "amount", type: "uint128"),
        EIP712Field(name: "chargedCumulativeAmount", type: "uint128"),
        EIP712Field(name: "remainingLimit", type: "uint128"),
        EIP712Field(name: "sequence", type: "uint64"),
        EIP712Field(name: "callIndex", type: "uint64"),
        EIP712Field(name: "requestBinding", type: "bytes32"),
        EIP712Field(name: "issuedAt", type: "uint64"),
    ]

    public func eip712StructHash() -> [UInt8] {
        var encoder = EIP712StructEncoder(for: Self.self)
        encoder.appendBytes32(receiptId.bytes)
        encoder.appendBytes32(grantId.bytes)
        encoder.appendAddress(payee)
        encoder.appendUInt(amount)
        encoder.appendUInt(chargedCumulativeAmount)
        encoder.appendUInt(remainingLimit)
        encoder.appendUInt(sequence)
        encoder.appendUInt(callIndex)
        encoder.appendBytes32(requestBinding.bytes)
        encoder.appendUInt(issuedAt)
        return encoder.finalize()
    }

    public func eip712Message() -> JSONValue {
        .object([
            ("receiptId", .bytes32(receiptId)),
            ("grantId", .bytes32(grantId)),
            ("payee", .address(payee)),
            ("amount", .decimal(amount)),
            ("chargedCumulativeAmount", .decimal(chargedCumulativeAmount)),
            ("remainingLimit", .decimal(remainingLimit)),
            ("sequence", .decimal(sequence)),
            ("callIndex", .decimal(callIndex)),
            ("requestBinding", .bytes32(requestBinding)),
            ("issuedAt", .decimal(issuedAt)),
        ])
    }

    public init(message: JSONValue, path: String = "message") throws(SessionMessageError) {
        var reader = try MessageReader(message, path: path)
        receiptId = try reader.bytes32("receiptId")
        grantId = try reader.bytes32("grantId")
        payee = try reader.address("payee")
        amount = try reader.unsigned("amount")
        chargedCumulativeAmount = try reader.unsigned("chargedCumulativeAmount")
        remainingLimit = try reader.unsigned("remainingLimit")
        sequence = try reader.unsigned("sequence")
        callIndex = try reader.unsigned("callIndex")
        requestBinding = try reader.bytes32("requestBinding")
        issuedAt = try reader.unsigned("issuedAt")
        try reader.finish()
    }
}
