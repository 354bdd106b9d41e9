import PBCore
import PBCrypto

/// A grant whose owner signature checked out.
public struct VerifiedGrant: Sendable, Hashable {
    public let signed: SignedSessionGrant

    /// A grant verified earlier, e.g. when it was registered and stored; only its signature is vouched for.
    public init(previouslyVerified signed: SignedSessionGrant) {
        self.signed = signed
    }

    public var grant: SessionGrant { signed.message }
    public var grantId: Bytes32 { signed.digest }
    public var domain: EIP712Domain { signed.domain }
}

/// A voucher signed by its grant's session key.
public struct VerifiedVoucher: Sendable, Hashable {
    public let signed: SignedPaymentVoucher
    public let grant: VerifiedGrant
    /// Recovered from the signature; the gateway derives a credit window's key from it.
    public let sessionPublicKey: PublicKey
    public var voucher: PaymentVoucher { signed.message }
    public var voucherId: Bytes32 { signed.digest }
}

/// The checks of docs/PROTOCOL.md section 10 that need no stored state (6 to 11, and the static part of 13 and
/// 19), in that order. A verdict names the first check that failed. The stateful checks (revocation, sequences,
/// cumulative amounts, rates) and the charge belong to the gateway, under its per-channel lock.
public struct SessionVerifier: Sendable {
    /// When set, grants and vouchers must be signed for this domain (the gateway's chain and contract).
    public let expectedDomain: EIP712Domain?

    public init(expectedDomain: EIP712Domain? = nil) {
        self.expectedDomain = expectedDomain
    }

    /// Checks a grant: signature well formed (7), signed by its owner under the expected domain (9), and, when
    /// `now` is given, inside its validity window (11).
    public func verify(grant signed: SignedSessionGrant, now: UInt64?) -> Verdict<VerifiedGrant> {
        do throws(PaymentRefusal) {
            let signer = try signed.recoverSigner()
            let grant = signed.message
            if let expectedDomain, expectedDomain != signed.domain {
                throw PaymentRefusal(
                    .pbGrantSignatureInvalid,
                    "grant is signed for chain \(signed.domain.chainId ?? 0) and contract "
                        + "\(signed.domain.verifyingContract ?? .zero), this gateway is chain "
                        + "\(expectedDomain.chainId ?? 0) and contract \(expectedDomain.verifyingContract ?? .zero)")
            }
            guard signer.address == grant.owner else {
                throw PaymentRefusal(
                    .pbGrantSignatureInvalid,
                    "grant is signed by \(signer.address), not by its owner \(grant.owner)")
            }
            if let now { try Self.checkValidity(of: grant, now: now) }
            return .valid(VerifiedGrant(previouslyVerified: signed))
        } catch {
            return .invalid(error)
        }
    }

    /// Checks a voucher against its verified grant: signature well formed (7), grant id (8), signed by the
    /// session key (10), grant and voucher in time (11), payee within the grant (13), not above the total (19).
    public func verify(voucher signed: SignedPaymentVoucher, grant: VerifiedGrant, now: UInt64?)
        -> Verdict<VerifiedVoucher>
    {
        do throws(PaymentRefusal) {
            let signer = try signed.recoverSigner()
            let voucher = signed.message
            guard voucher.grantId == grant.grantId, signed.domain == grant.domain else {
                throw PaymentRefusal(
                    .pbGrantUnknown, "voucher spends grant \(voucher.grantId), not the grant \(grant.grantId) given")
            }
            guard signer.address == grant.grant.sessionKey else {
                throw PaymentRefusal(
                    .pbVoucherSignatureInvalid,
                    "voucher is signed by \(signer.address), not by the grant's session key \(grant.grant.sessionKey)")
            }
            if let now {
                try Self.checkValidity(of: grant.grant, now: now)
                guard now < voucher.validUntil else {
                    throw PaymentRefusal(.pbVoucherExpired, "voucher expired at \(voucher.validUntil), now is \(now)")
                }
            }
            guard grant.grant.allows(payee: voucher.payee) else {
                throw PaymentRefusal(.pbPayeeNotAllowed, "the grant does not allow paying \(voucher.payee)")
            }
            guard voucher.cumulativeAmount <= grant.grant.totalLimit else {
                throw PaymentRefusal(
                    .pbLimitExceeded,
                    "voucher cumulative amount \(voucher.cumulativeAmount) exceeds the grant's total limit "
                        + "\(grant.grant.totalLimit)")
            }
            return .valid(VerifiedVoucher(signed: signed, grant: grant, sessionPublicKey: signer))
        } catch {
            return .invalid(error)
        }
    }

    /// Check 11 for a grant: `validAfter <= now < validUntil`.
    public static func checkValidity(of grant: SessionGrant, now: UInt64) throws(PaymentRefusal) {
        guard now >= grant.validAfter else {
            throw PaymentRefusal(.pbGrantNotYetValid, "grant is valid from \(grant.validAfter), now is \(now)")
        }
        guard now < grant.validUntil else {
            throw PaymentRefusal(.pbGrantExpired, "grant expired at \(grant.validUntil), now is \(now)")
        }
    }
}
