import PBCore
import PBCrypto

/// The gateway's view of one (grant, payee) channel, sent back on a refusal so an honest client resynchronises.
public struct ChannelState: Sendable, Hashable {
    public var grantId: Bytes32
    public var chargedCumulativeAmount: UInt128
    public var lastSequence: UInt64

    public init(grantId: Bytes32, chargedCumulativeAmount: UInt128, lastSequence: UInt64) {
        self.grantId = grantId
        self.chargedCumulativeAmount = chargedCumulativeAmount
        self.lastSequence = lastSequence
    }
}

/// The `extra` object of a pb-session `accepts` entry (docs/PROTOCOL.md, section 6).
///
/// Reading ignores fields it does not know, so that later protocol versions can add some without breaking clients.
public struct SessionRequirementsExtra: Sendable, Hashable {
    /// The token's own EIP-712 name and version, for x402 tooling that checks them.
    public var tokenName: String?
    public var tokenVersion: String?
    public var domain: EIP712Domain
    public var service: String
    public var unit: String
    /// The rate as a decimal string of whole tokens per unit.
    public var unitPrice: String
    /// The rule that produced the price: a name (`route:POST /v1/chat`) or, from the gateway, an object with the
    /// route, the usage priced, the oracle overrides, the quote's instant and the breakdown (docs/PRICING.md).
    public var priceRule: JSONValue
    public var quoteId: String
    public var quoteExpiresAt: UInt64
    public var gatewayPublicKey: PublicKey
    public var maxWindowCredit: UInt128
    public var requestBinding: Bytes32?
    public var channel: ChannelState?

    public init(
        tokenName: String? = nil, tokenVersion: String? = nil, domain: EIP712Domain, service: String,
        unit: String, unitPrice: String, priceRule: JSONValue, quoteId: String, quoteExpiresAt: UInt64,
        gatewayPublicKey: PublicKey, maxWindowCredit: UInt128, requestBinding: Bytes32? = nil,
        channel: ChannelState? = nil
    ) {
        self.tokenName = tokenName
        self.tokenVersion = tokenVersion
        self.domain = domain
        self.service = service
        self.unit = unit
        self.unitPrice = unitPrice
        self.priceRule = priceRule
        self.quoteId = quoteId
        self.quoteExpiresAt = quoteExpiresAt
        self.gatewayPublicKey = gatewayPublicKey
        self.maxWindowCredit = maxWindowCredit
        self.requestBinding = requestBinding
        self.channel = channel
    }

    public var jsonValue: JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let tokenName { members.append(("name", .string(tokenName))) }
        if let tokenVersion { members.append(("version", .string(tokenVersion))) }
        members += [
            ("domain", PBSessionDomain.jsonValue(domain)),
            ("service", .string(service)),
            ("unit", .string(unit)),
            ("unitPrice", .string(unitPrice)),
            ("priceRule", priceRule),
            ("quoteId", .string(quoteId)),
            ("quoteExpiresAt", .decimal(quoteExpiresAt)),
            ("gatewayPublicKey", .string(Hex.encode(gatewayPublicKey.compressedBytes))),
            ("maxWindowCredit", .decimal(maxWindowCredit)),
        ]
        if let requestBinding { members.append(("requestBinding", .bytes32(requestBinding))) }
        if let channel {
            members.append((
                "channel",
                .object([
                    ("grantId", .bytes32(channel.grantId)),
                    ("chargedCumulativeAmount", .decimal(channel.chargedCumulativeAmount)),
                    ("lastSequence", .decimal(channel.lastSequence)),
                ])
            ))
        }
        return .object(members)
    }

    public init(extra: JSONValue) throws(PaymentRefusal) {
        do throws(SessionMessageError) {
            var reader = try MessageReader(extra, path: "extra")
            tokenName = extra["name"]?.stringValue
            tokenVersion = extra["version"]?.stringValue
            domain = try PBSessionDomain.parse(try reader.object("domain"), path: "extra.domain")
            service = try reader.string("service")
            unit = try reader.string("unit")
            unitPrice = try reader.string("unitPrice")
            switch extra["priceRule"] {
            case let rule? where rule.stringValue != nil || rule.objectMembers != nil: priceRule = rule
            default: throw SessionMessageError(path: "extra.priceRule", message: "must be a string or an object")
            }
            quoteId = try reader.string("quoteId")
            quoteExpiresAt = try reader.unsigned("quoteExpiresAt")
            let keyText = try reader.string("gatewayPublicKey")
            guard let key = try? PublicKey(hex: keyText) else {
                throw SessionMessageError(path: "extra.gatewayPublicKey", message: "must be a secp256k1 public key")
            }
            gatewayPublicKey = key
            maxWindowCredit = try reader.unsigned("maxWindowCredit")
            requestBinding = extra["requestBinding"] == nil ? nil : try reader.bytes32("requestBinding")
            if let channelObject = try reader.optionalObject("channel") {
                var channelReader = try MessageReader(channelObject, path: "extra.channel")
                channel = ChannelState(
                    grantId: try channelReader.bytes32("grantId"),
                    chargedCumulativeAmount: try channelReader.unsigned("chargedCumulativeAmount"),
                    lastSequence: try channelReader.unsigned("lastSequence"))
            } else {
                channel = nil
            }
        } catch {
            throw PaymentRefusal.malformed(error)
        }
    }
}

/// The `extra` of a pb-session `SettleResponse`: the gateway-signed receipt (docs/PROTOCOL.md, section 9).
public enum SessionReceiptExtra {
    public static func jsonValue(_ receipt: SignedPaymentReceipt) -> JSONValue {
        jsonValue(receipt.message, authenticator: .signature(receipt.signatureBytes))
    }

    /// The receipt and its signature, or (a window call's) its MAC by the window key (docs/PROTOCOL.md, section 9).
    public static func jsonValue(_ receipt: PaymentReceipt, authenticator: ReceivedReceipt.Authenticator) -> JSONValue {
        .object([
            ("receipt", receipt.eip712Message()),
            (authenticator.fieldName, .string(Hex.encode(authenticator.bytes))),
        ])
    }

    /// Reads the receipt and how it is authenticated; `domain` is the one the 402 announced. A signed receipt is
    /// checked with `recoverSigner()`, a MAC'd one with `ReceivedReceipt.isAuthentic(windowKey:)`.
    public static func parse(_ extra: JSONValue, domain: EIP712Domain) throws(PaymentRefusal) -> ReceivedReceipt {
        do throws(SessionMessageError) {
            var reader = try MessageReader(extra, path: "extra")
            let receipt = try PaymentReceipt(message: try reader.object("receipt"), path: "extra.receipt")
            let field = extra["receiptSignature"] != nil ? "receiptSignature" : "receiptMAC"
            guard let text = extra[field]?.stringValue else {
                throw SessionMessageError(path: "extra", message: "has neither receiptSignature nor receiptMAC")
            }
            guard let bytes = try? Hex.decode(text) else {
                throw SessionMessageError(path: "extra.\(field)", message: "must be hex")
            }
            if field == "receiptMAC" {
                guard bytes.count == 32 else { throw SessionMessageError(path: "extra.receiptMAC", message: "must be 32 bytes") }
                return ReceivedReceipt(message: receipt, domain: domain, authenticator: .windowMAC(bytes))
            }
            return ReceivedReceipt(message: receipt, domain: domain, authenticator: .signature(bytes))
        } catch {
            throw PaymentRefusal.malformed(error)
        }
    }
}

/// A receipt as a client receives it in `PAYMENT-RESPONSE`: signed by the gateway key, or (for calls inside a
/// credit window) MAC'd with the window key both sides derived.
public struct ReceivedReceipt: Sendable, Hashable {
    public enum Authenticator: Sendable, Hashable {
        case signature([UInt8])
        case windowMAC([UInt8])

        /// Its member in a settle response's `extra`.
        public var fieldName: String {
            switch self {
            case .signature: "receiptSignature"
            case .windowMAC: "receiptMAC"
            }
        }

        public var bytes: [UInt8] {
            switch self {
            case .signature(let bytes), .windowMAC(let bytes): bytes
            }
        }
    }

    public let message: PaymentReceipt
    public let domain: EIP712Domain
    public let authenticator: Authenticator

    public init(message: PaymentReceipt, domain: EIP712Domain, authenticator: Authenticator) {
        self.message = message
        self.domain = domain
        self.authenticator = authenticator
    }

    /// The signed receipt, or nil for a MAC'd one.
    public var signed: SignedPaymentReceipt? {
        guard case .signature(let bytes) = authenticator else { return nil }
        return SignedPaymentReceipt(message: message, domain: domain, signatureBytes: bytes)
    }

    /// The gateway key that signed it; a MAC'd receipt has no signer (`pb_signature_malformed`).
    public func recoverSigner() throws(PaymentRefusal) -> PublicKey {
        guard let signed else {
            throw PaymentRefusal(.pbSignatureMalformed, "PaymentReceipt is authenticated by the window key, not signed")
        }
        return try signed.recoverSigner()
    }

    /// Whether the window MAC is genuine for `windowKey` (false for a signed receipt).
    public func isAuthentic(windowKey: CreditWindowKey) -> Bool {
        guard case .windowMAC(let mac) = authenticator else { return false }
        return windowKey.isValidReceiptMAC(mac, receipt: message, domain: domain)
    }
}
