import PBCore
import PBCrypto

/// A cumulative voucher the session key signs for one payment or one credit window (docs/PROTOCOL.md, section 5).
public struct PaymentVoucher: Sendable, Hashable, EIP712Struct {
    public var grantId: Bytes32
    public var payee: EthereumAddress
    /// The ceiling the payee may have claimed on this (grant, payee) channel once this voucher is honoured.
    public var cumulativeAmount: UInt128
    /// Strictly increasing per (grant, payee), from 1.
    public var sequence: UInt64
    /// One request's binding, or zero for a credit window.
    public var requestBinding: Bytes32
    public var validUntil: UInt64

    public init(
        grantId: Bytes32, payee: EthereumAddress, cumulativeAmount: UInt128, sequence: UInt64,
        requestBinding: Bytes32, validUntil: UInt64
    ) {
        self.grantId = grantId
        self.payee = payee
        self.cumulativeAmount = cumulativeAmount
        self.sequence = sequence
        self.requestBinding = requestBinding
        self.validUntil = validUntil
    }

    /// A zero binding opens a credit window instead of paying one request.
    public var opensCreditWindow: Bool { requestBinding.isZero }

    public static let eip712TypeName = "PaymentVoucher"
    public static let eip712Fields: [EIP712Field] = [
        EIP712Field(name: "grantId", type: "bytes32"),
        EIP712Field(name: "payee", type: "address"),
        EIP712Field(name: "cumulativeAmount", type: "uint128"),
        EIP712Field(name: "sequence", type: "uint64"),
        EIP712Field(name: "requestBinding", type: "bytes32"),
        EIP712Field(name: "validUntil", type: "uint64"),
    ]

    public func eip712StructHash() -> [UInt8] {
        var encoder = EIP712StructEncoder(for: Self.self)
        encoder.appendBytes32(grantId.bytes)
        encoder.appendAddress(payee)
        encoder.appendUInt(cumulativeAmount)
        encoder.appendUInt(sequence)
        encoder.appendBytes32(requestBinding.bytes)
        encoder.appendUInt(validUntil)
        return encoder.finalize()
    }

    public func eip712Message() -> JSONValue {
        .object([
            ("grantId", .bytes32(grantId)),
            ("payee", .address(payee)),
            ("cumulativeAmount", .decimal(cumulativeAmount)),
            ("sequence", .decimal(sequence)),
            ("requestBinding", .bytes32(requestBinding)),
            ("validUntil", .decimal(validUntil)),
        ])
    }

    public init(message: JSONValue, path: String = "message") throws(SessionMessageError) {
        var reader = try MessageReader(message, path: path)
        grantId = try reader.bytes32("grantId")
        payee = try reader.address("payee")
        cumulativeAmount = try reader.unsigned("cumulativeAmount")
        sequence = try reader.unsigned("sequence")
        requestBinding = try reader.bytes32("requestBinding")
        validUntil = try reader.unsigned("validUntil")
        try reader.finish()
        guard sequence > 0 else { throw SessionMessageError(path: "\(path).sequence", message: "starts at 1") }
    }

    /// The voucher id (for a credit window, the window id): its EIP-712 digest under `domain`.
    public func voucherId(domain: EIP712Domain) -> Bytes32 {
        Bytes32(unchecked: EIP712.digest(domain: domain, message: self))
    }
}
