import PBCore
import PBCrypto

/// An owner's signed request to freeze, unfreeze or revoke a grant (docs/PROTOCOL.md, section 15), so an owner can
/// stop a key at once without a merchant account. Valid for five minutes after `issuedAt`; replaying it inside that
/// time only repeats the same change.
public struct GrantStatusChange: Sendable, Hashable, EIP712Struct {
    public static let validitySeconds: UInt64 = 300
    public static let statuses: Set<String> = ["frozen", "active", "revoked"]

    public var grantId: Bytes32
    /// `frozen`, `active` (unfreeze) or `revoked`.
    public var status: String
    public var issuedAt: UInt64

    public init(grantId: Bytes32, status: String, issuedAt: UInt64) {
        self.grantId = grantId
        self.status = status
        self.issuedAt = issuedAt
    }

    public static let eip712TypeName = "GrantStatusChange"
    public static let eip712Fields: [EIP712Field] = [
        EIP712Field(name: "grantId", type: "bytes32"),
        EIP712Field(name: "status", type: "string"),
        EIP712Field(name: "issuedAt", type: "uint64"),
    ]

    public func eip712StructHash() -> [UInt8] {
        var encoder = EIP712StructEncoder(for: Self.self)
        encoder.appendBytes32(grantId.bytes)
        encoder.appendString(status)
        encoder.appendUInt(issuedAt)
        return encoder.finalize()
    }

    public func eip712Message() -> JSONValue {
        .object([("grantId", .bytes32(grantId)), ("status", .string(status)), ("issuedAt", .decimal(issuedAt))])
    }

    /// Checks that `owner` signed this change under `domain` and that it is fresh at `now`.
    public func verify(signature: [UInt8], owner: EthereumAddress, domain: EIP712Domain, now: UInt64) throws(PaymentRefusal) {
        guard Self.statuses.contains(status) else {
            throw PaymentRefusal(.invalidPayload, "status must be frozen, active or revoked")
        }
        guard issuedAt <= now + 60, now < issuedAt + Self.validitySeconds else {
            throw PaymentRefusal(.invalidPayload, "status change issued at \(issuedAt) is not within 5 minutes of \(now)")
        }
        let signer = try SignedMessage(message: self, domain: domain, signatureBytes: signature).recoverSigner()
        guard signer.address == owner else {
            throw PaymentRefusal(.pbGrantSignatureInvalid, "status change is signed by \(signer.address), not the owner \(owner)")
        }
    }
}
