import PBCore
import PBCrypto

/// A call inside an open credit window: no signature, a MAC under the window key (docs/PROTOCOL.md, section 8).
public struct SessionCall: Sendable, Hashable {
    /// Names the channel (with the accepted `payTo`); not covered by the MAC, the window id commits to the grant.
    public let grantId: Bytes32
    public let windowId: Bytes32
    public let callIndex: UInt64
    public let mac: [UInt8]

    public init(grantId: Bytes32, windowId: Bytes32, callIndex: UInt64, mac: [UInt8]) {
        self.grantId = grantId
        self.windowId = windowId
        self.callIndex = callIndex
        self.mac = mac
    }
}

/// The `payload` of a pb-session `PaymentPayload` (docs/PROTOCOL.md, section 7).
public enum SessionPaymentPayload: Sendable, Hashable {
    /// A single payment or the opening of a credit window; `grant` is included until the gateway knows it.
    case voucher(grant: SignedSessionGrant?, voucher: SignedPaymentVoucher)
    case call(SessionCall)

    public static let scheme = "pb-session"

    /// Reads the payload strictly. `domain` comes from the accepted requirements (`extra.domain`): it is what the
    /// grant and voucher are signed under. Malformed input is `invalid_payload` naming the field.
    public init(payload: JSONValue, domain: EIP712Domain) throws(PaymentRefusal) {
        do throws(SessionMessageError) {
            guard let type = payload["type"]?.stringValue else {
                throw SessionMessageError(path: "payload.type", message: "must be \"voucher\" or \"call\"")
            }
            switch type {
            case "voucher":
                var reader = try MessageReader(payload, path: "payload")
                _ = try reader.string("type")
                let voucher = try Self.signed(
                    try reader.object("voucher"), path: "payload.voucher", domain: domain
                ) { (message, path) throws(SessionMessageError) in try PaymentVoucher(message: message, path: path) }
                let grant = try reader.optionalObject("grant").map { (grantObject) throws(SessionMessageError) in
                    var grantReader = try MessageReader(grantObject, path: "payload.grant")
                    let message = try SessionGrant(message: try grantReader.object("message"), path: "payload.grant.message")
                    let signature = try Self.signatureBytes(try grantReader.string("signature"), path: "payload.grant.signature")
                    try grantReader.finish()
                    return SignedSessionGrant(message: message, domain: domain, signatureBytes: signature)
                }
                try reader.finish()
                self = .voucher(grant: grant, voucher: voucher)
            case "call":
                var reader = try MessageReader(payload, path: "payload")
                _ = try reader.string("type")
                let grantId = try reader.bytes32("grantId")
                let windowId = try reader.bytes32("windowId")
                let callIndex: UInt64 = try reader.unsigned("callIndex")
                let macText = try reader.string("mac")
                try reader.finish()
                guard callIndex > 0 else { throw SessionMessageError(path: "payload.callIndex", message: "starts at 1") }
                guard let mac = try? Hex.decode(macText, count: 32) else {
                    throw SessionMessageError(path: "payload.mac", message: "must be 0x + 64 hex digits")
                }
                self = .call(SessionCall(grantId: grantId, windowId: windowId, callIndex: callIndex, mac: mac))
            default:
                throw SessionMessageError(path: "payload.type", message: "must be \"voucher\" or \"call\", got \(type.prefix(32))")
            }
        } catch {
            throw PaymentRefusal.malformed(error)
        }
    }

    /// The wire form: message fields and `signature` side by side.
    public var jsonValue: JSONValue {
        switch self {
        case .voucher(let grant, let voucher):
            var members: [(key: String, value: JSONValue)] = [("type", .string("voucher"))]
            if let grant {
                members.append((
                    "grant",
                    .object([
                        ("message", grant.message.eip712Message()), ("signature", .string(Hex.encode(grant.signatureBytes))),
                    ])
                ))
            }
            let voucherMembers = (voucher.message.eip712Message().objectMembers ?? [])
                + [("signature", .string(Hex.encode(voucher.signatureBytes)))]
            members.append(("voucher", .object(voucherMembers)))
            return .object(members)
        case .call(let call):
            return .object([
                ("type", .string("call")), ("grantId", .bytes32(call.grantId)), ("windowId", .bytes32(call.windowId)),
                ("callIndex", .decimal(call.callIndex)), ("mac", .string(Hex.encode(call.mac))),
            ])
        }
    }

    /// A voucher object: the message's fields plus `signature`.
    private static func signed<Message: EIP712Struct & Hashable>(
        _ object: JSONValue, path: String, domain: EIP712Domain,
        message makeMessage: (JSONValue, String) throws(SessionMessageError) -> Message
    ) throws(SessionMessageError) -> SignedMessage<Message> {
        guard let members = object.objectMembers, let signature = object["signature"]?.stringValue else {
            throw SessionMessageError(path: "\(path).signature", message: "is missing")
        }
        let message = try makeMessage(.object(members.filter { $0.key != "signature" }), path)
        return SignedMessage(
            message: message, domain: domain, signatureBytes: try signatureBytes(signature, path: "\(path).signature"))
    }

    private static func signatureBytes(_ text: String, path: String) throws(SessionMessageError) -> [UInt8] {
        do { return try Hex.decode(text) } catch {
            throw SessionMessageError(path: path, message: "must be hex: \(error.message)")
        }
    }
}
