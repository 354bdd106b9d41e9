import PBCore
import PBCrypto

/// A pb-session message, its domain and the signature over its EIP-712 digest, as carried in payloads and files.
///
/// The signature is kept as raw bytes: whether they form a valid signature is the verifier's check 7, reported as
/// `pb_signature_malformed`, not a parse failure.
public struct SignedMessage<Message: EIP712Struct & Hashable>: Sendable, Hashable {
    public let message: Message
    public let domain: EIP712Domain
    public let signatureBytes: [UInt8]
    /// The EIP-712 digest: the grant id, voucher id or receipt digest.
    public let digest: Bytes32

    public init(message: Message, domain: EIP712Domain, signatureBytes: [UInt8]) {
        self.message = message
        self.domain = domain
        self.signatureBytes = signatureBytes
        self.digest = Bytes32(unchecked: EIP712.digest(domain: domain, message: message))
    }

    /// Signs `message` with `key` under `domain` (RFC 6979: the same inputs give the same signature).
    public static func sign(_ message: Message, domain: EIP712Domain, with key: PrivateKey) -> SignedMessage {
        let digest = EIP712.digest(domain: domain, message: message)
        // The digest always has 32 bytes, the one thing signing checks.
        let signature = try! key.sign(digest: digest)
        return SignedMessage(message: message, domain: domain, signatureBytes: signature.bytes)
    }

    /// The signature, or `pb_signature_malformed` saying why not (length, v, zero or high s).
    public func signature() throws(PaymentRefusal) -> Signature {
        do { return try Signature(bytes: signatureBytes) } catch {
            throw PaymentRefusal(.pbSignatureMalformed, "\(Message.eip712TypeName) signature: \(error.description)")
        }
    }

    /// Who signed it, or `pb_signature_malformed`.
    public func recoverSigner() throws(PaymentRefusal) -> PublicKey {
        let signature = try signature()
        do { return try signature.recoverPublicKey(digest: digest.bytes) } catch {
            throw PaymentRefusal(.pbSignatureMalformed, "\(Message.eip712TypeName) signature: \(error.description)")
        }
    }

    /// The `eth_signTypedData_v4` form of the message: what a wallet is asked to sign.
    public var typedDataJSON: JSONValue {
        .object([
            ("types", Self.canonicalTypes),
            ("primaryType", .string(Message.eip712TypeName)),
            ("domain", PBSessionDomain.jsonValue(domain)),
            ("message", message.eip712Message()),
        ])
    }

    /// `types` of the JSON form: the PB domain's four fields and the message's own.
    public static var canonicalTypes: JSONValue {
        let fieldList: ([EIP712Field]) -> JSONValue = { fields in
            .array(fields.map { .object([("name", .string($0.name)), ("type", .string($0.type))]) })
        }
        return .object([
            (EIP712Domain.typeName, fieldList(Array(EIP712Domain.standardFields.prefix(4)))),
            (Message.eip712TypeName, fieldList(Message.eip712Fields)),
        ])
    }

    /// The file / payload form: `{"typedData": …, "signature": "0x…", "id": "0x…"}` (`id` informational).
    public var documentJSON: JSONValue {
        .object([("typedData", typedDataJSON), ("signature", .string(Hex.encode(signatureBytes))), ("id", .bytes32(digest))])
    }
}

public typealias SignedSessionGrant = SignedMessage<SessionGrant>
public typealias SignedPaymentVoucher = SignedMessage<PaymentVoucher>
public typealias SignedPaymentReceipt = SignedMessage<PaymentReceipt>

/// Any signed pb-session document, told apart by its `primaryType`.
public enum SessionDocument: Sendable, Hashable {
    case grant(SignedSessionGrant)
    case voucher(SignedPaymentVoucher)
    case receipt(SignedPaymentReceipt)

    /// Reads `{"typedData": {types, primaryType, domain, message}, "signature": "0x…"}`. The `types` must be exactly
    /// pb-session's, so that what a wallet displayed is what we hash. Malformed input is `invalid_payload`; a
    /// signature that is not hex is `pb_signature_malformed`.
    public static func parse(_ document: JSONValue) throws(PaymentRefusal) -> SessionDocument {
        guard let typedData = document["typedData"], let primaryType = typedData["primaryType"]?.stringValue else {
            throw PaymentRefusal(.invalidPayload, "document needs typedData with a primaryType")
        }
        guard let signatureText = document["signature"]?.stringValue else {
            throw PaymentRefusal(.invalidPayload, "document needs a signature string")
        }
        let signatureBytes: [UInt8]
        do { signatureBytes = try Hex.decode(signatureText) } catch {
            throw PaymentRefusal(.pbSignatureMalformed, "signature is not hex: \(error.message)")
        }
        // Field errors name the path in this document, as the domain's and the types' errors do.
        let messagePath = "typedData.message"
        switch primaryType {
        case SessionGrant.eip712TypeName:
            return .grant(try read(typedData, SessionGrant.self, signatureBytes) { (message) throws(SessionMessageError) in try SessionGrant(message: message, path: messagePath) })
        case PaymentVoucher.eip712TypeName:
            return .voucher(try read(typedData, PaymentVoucher.self, signatureBytes) { (message) throws(SessionMessageError) in try PaymentVoucher(message: message, path: messagePath) })
        case PaymentReceipt.eip712TypeName:
            return .receipt(try read(typedData, PaymentReceipt.self, signatureBytes) { (message) throws(SessionMessageError) in try PaymentReceipt(message: message, path: messagePath) })
        default:
            throw PaymentRefusal(.invalidPayload, "primaryType \(primaryType.prefix(64)) is not a pb-session message")
        }
    }

    private static func read<Message: EIP712Struct & Hashable>(
        _ typedData: JSONValue, _ type: Message.Type, _ signatureBytes: [UInt8],
        message makeMessage: (JSONValue) throws(SessionMessageError) -> Message
    ) throws(PaymentRefusal) -> SignedMessage<Message> {
        do throws(SessionMessageError) {
            let canonical = SignedMessage<Message>.canonicalTypes
            guard typedData["types"]?.isEquivalent(to: canonical) == true else {
                throw SessionMessageError(
                    path: "typedData.types", message: "must be exactly the pb-session v1 types of \(Message.eip712TypeName)")
            }
            let domain = try PBSessionDomain.parse(typedData["domain"] ?? .null, path: "typedData.domain")
            let message = try makeMessage(typedData["message"] ?? .null)
            return SignedMessage(message: message, domain: domain, signatureBytes: signatureBytes)
        } catch {
            throw PaymentRefusal.malformed(error)
        }
    }
}

