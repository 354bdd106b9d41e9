import PBCore
import PBCrypto

/// The grant an owner's wallet signs once for an agent's session key (docs/PROTOCOL.md, section 4).
public struct SessionGrant: Sendable, Hashable, EIP712Struct {
    public var owner: EthereumAddress
    public var sessionKey: EthereumAddress
    public var asset: EthereumAddress
    /// Empty: any payee.
    public var payees: [EthereumAddress]
    /// Empty: any service of an allowed payee.
    public var services: [String]
    public var totalLimit: UInt128
    /// 0: no per-payment cap.
    public var perPaymentLimit: UInt128
    /// With `periodSeconds`: at most this much per period; both 0 when there is no period limit.
    public var periodLimit: UInt128
    public var periodSeconds: UInt64
    /// 0: no call-rate limit.
    public var maxCallsPerMinute: UInt32
    public var validAfter: UInt64
    public var validUntil: UInt64
    public var salt: Bytes32

    public init(
        owner: EthereumAddress, sessionKey: EthereumAddress, asset: EthereumAddress,
        payees: [EthereumAddress] = [], services: [String] = [],
        totalLimit: UInt128, perPaymentLimit: UInt128 = 0, periodLimit: UInt128 = 0, periodSeconds: UInt64 = 0,
        maxCallsPerMinute: UInt32 = 0, validAfter: UInt64, validUntil: UInt64, salt: Bytes32 = .random()
    ) {
        self.owner = owner
        self.sessionKey = sessionKey
        self.asset = asset
        self.payees = payees
        self.services = services
        self.totalLimit = totalLimit
        self.perPaymentLimit = perPaymentLimit
        self.periodLimit = periodLimit
        self.periodSeconds = periodSeconds
        self.maxCallsPerMinute = maxCallsPerMinute
        self.validAfter = validAfter
        self.validUntil = validUntil
        self.salt = salt
    }

    public static let eip712TypeName = "SessionGrant"
    public static let eip712Fields: [EIP712Field] = [
        EIP712Field(name: "owner", type: "address"),
        EIP712Field(name: "sessionKey", type: "address"),
        EIP712Field(name: "asset", type: "address"),
        EIP712Field(name: "payees", type: "address[]"),
        EIP712Field(name: "services", type: "string[]"),
        EIP712Field(name: "totalLimit", type: "uint128"),
        EIP712Field(name: "perPaymentLimit", type: "uint128"),
        EIP712Field(name: "periodLimit", type: "uint128"),
        EIP712Field(name: "periodSeconds", type: "uint64"),
        EIP712Field(name: "maxCallsPerMinute", type: "uint32"),
        EIP712Field(name: "validAfter", type: "uint64"),
        EIP712Field(name: "validUntil", type: "uint64"),
        EIP712Field(name: "salt", type: "bytes32"),
    ]

    public func eip712StructHash() -> [UInt8] {
        var encoder = EIP712StructEncoder(for: Self.self)
        encoder.appendAddress(owner)
        encoder.appendAddress(sessionKey)
        encoder.appendAddress(asset)
        encoder.appendWordArray(payees.map { EIP712StructEncoder.word(address: $0) })
        encoder.appendWordArray(services.map { Keccak256.hash(Array($0.utf8)) })
        encoder.appendUInt(totalLimit)
        encoder.appendUInt(perPaymentLimit)
        encoder.appendUInt(periodLimit)
        encoder.appendUInt(periodSeconds)
        encoder.appendUInt(UInt64(maxCallsPerMinute))
        encoder.appendUInt(validAfter)
        encoder.appendUInt(validUntil)
        encoder.appendBytes32(salt.bytes)
        return encoder.finalize()
    }

    public func eip712Message() -> JSONValue {
        .object([
            ("owner", .address(owner)),
            ("sessionKey", .address(sessionKey)),
            ("asset", .address(asset)),
            ("payees", .array(payees.map { .address($0) })),
            ("services", .array(services.map { .string($0) })),
            ("totalLimit", .decimal(totalLimit)),
            ("perPaymentLimit", .decimal(perPaymentLimit)),
            ("periodLimit", .decimal(periodLimit)),
            ("periodSeconds", .decimal(periodSeconds)),
            ("maxCallsPerMinute", .decimal(maxCallsPerMinute)),
            ("validAfter", .decimal(validAfter)),
            ("validUntil", .decimal(validUntil)),
            ("salt", .bytes32(salt)),
        ])
    }

    /// Reads a grant `message` strictly; also checks that its limits make sense together.
    public init(message: JSONValue, path: String = "message") throws(SessionMessageError) {
        var reader = try MessageReader(message, path: path)
        owner = try reader.address("owner")
        sessionKey = try reader.address("sessionKey")
        asset = try reader.address("asset")
        payees = try reader.addresses("payees")
        services = try reader.strings("services")
        totalLimit = try reader.unsigned("totalLimit")
        perPaymentLimit = try reader.unsigned("perPaymentLimit")
        periodLimit = try reader.unsigned("periodLimit")
        periodSeconds = try reader.unsigned("periodSeconds")
        maxCallsPerMinute = try reader.unsigned("maxCallsPerMinute")
        validAfter = try reader.unsigned("validAfter")
        validUntil = try reader.unsigned("validUntil")
        salt = try reader.bytes32("salt")
        try reader.finish()
        try validate(path: path)
    }

    /// Rules a signature cannot express: a grant that breaks them could never be honoured as its owner meant.
    public func validate(path: String = "message") throws(SessionMessageError) {
        guard validAfter < validUntil else {
            throw SessionMessageError(path: "\(path).validUntil", message: "must be after validAfter")
        }
        guard totalLimit > 0 else {
            throw SessionMessageError(path: "\(path).totalLimit", message: "must be above zero")
        }
        guard (periodLimit == 0) == (periodSeconds == 0) else {
            throw SessionMessageError(
                path: "\(path).periodSeconds", message: "periodLimit and periodSeconds are both set or both 0")
        }
        guard perPaymentLimit <= totalLimit else {
            throw SessionMessageError(path: "\(path).perPaymentLimit", message: "must not exceed totalLimit")
        }
        guard Set(payees).count == payees.count, Set(services).count == services.count else {
            throw SessionMessageError(path: path, message: "payees and services must not repeat")
        }
    }

    /// Whether the grant lets its key pay `payee` for `service` (empty lists allow all).
    public func allows(payee: EthereumAddress) -> Bool { payees.isEmpty || payees.contains(payee) }
    public func allows(service: String) -> Bool { services.isEmpty || services.contains(service) }

    /// The grant id: its EIP-712 digest under `domain`.
    public func grantId(domain: EIP712Domain) -> Bytes32 {
        Bytes32(unchecked: EIP712.digest(domain: domain, message: self))
    }
}
