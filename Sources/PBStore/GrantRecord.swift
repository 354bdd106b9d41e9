import PBCore
import PBCrypto
import PBProtocol

/// Whether a session key may still pay. Frozen can be undone by the owner or the merchant; revoked is final.
public enum GrantStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active
    case frozen
    case revoked
}

/// A registered session grant and what has been spent under it.
public struct GrantRecord: Sendable, Hashable {
    public let signed: SignedSessionGrant
    public var status: GrantStatus
    /// Why it was frozen or revoked (shown to the owner; never a secret).
    public var statusReason: String?
    /// Charged under this grant across all payees, net of voided payments.
    public var spent: UInt128
    public let registeredAt: UnixTime
    public var updatedAt: UnixTime

    public init(
        signed: SignedSessionGrant, status: GrantStatus = .active, statusReason: String? = nil, spent: UInt128 = 0,
        registeredAt: UnixTime, updatedAt: UnixTime? = nil
    ) {
        precondition(spent <= signed.message.totalLimit, "a grant's spent amount never exceeds its limit")
        self.signed = signed
        self.status = status
        self.statusReason = statusReason
        self.spent = spent
        self.registeredAt = registeredAt
        self.updatedAt = updatedAt ?? registeredAt
    }

    public var grantId: Bytes32 { signed.digest }
    public var grant: SessionGrant { signed.message }
    public var remaining: UInt128 { grant.totalLimit - spent }
}
