import PBCore

/// A session paid from a session key's grant instead of a prepaid account: it draws on the channel (grant, payee)
/// within the credit window the agent's voucher opened there (docs/METERING.md, "Sessions paid by a session key").
///
/// The session's "account" is then a view the store computes inside each update's transaction: its balance is what
/// the grant and the channel's open window can still pay (`GrantFunding.accountId` names it), and a debit of that
/// balance is written as a charge on the grant and the channel, never as an account entry.
public struct GrantFunding: Hashable, Sendable {
    public static let accountPrefix = "grant:"

    public let grantId: Bytes32
    /// The payee's address as lowercase hex (`0x…`): the service's payee, one end of the channel.
    public let payee: String

    public init(grantId: Bytes32, payee: String) throws(MeteringError) {
        let lowered = payee.lowercased()
        guard lowered.utf8.count == 42, lowered.hasPrefix("0x"), (try? Hex.decode(lowered)) != nil else {
            throw .invalid("payee", "'\(payee)' is not an address")
        }
        self.grantId = grantId
        self.payee = lowered
    }

    /// `grant:<grant id>:<payee>`: the id of the view account, shared by the channel's sessions.
    public var accountId: String { Self.accountPrefix + grantId.hex + ":" + payee }

    /// Whether an account id names a grant's view rather than a prepaid account (which may not use the prefix).
    public static func isGrantAccount(_ accountId: String) -> Bool { accountId.hasPrefix(accountPrefix) }

    /// The view account: a balance of `available`, nothing topped up or spent through it, no low-balance alert
    /// (a grant's budget alerts are Sentinel's).
    public func account(asset: Asset, available: Amount, at time: UnixTime) throws(MeteringError) -> Account {
        try Account(
            id: accountId, asset: asset, balance: available, toppedUp: available, spent: .zero(of: asset),
            refillLevel: available, lowBalance: LowBalancePolicy(fractionPartsPerMillion: 0), lowBalanceAlerted: false,
            createdAt: time, updatedAt: time)
    }
}

/// When a grant-funded session's money ends for a reason other than the balance: the grant frozen or revoked (at
/// the instant its status changed), the grant expired, or the credit window expired. Time after `at` is never
/// charged; the session stops there with `reason`.
public struct FundingEnd: Hashable, Sendable {
    public let at: UnixTime
    public let reason: StopReason

    public init(at: UnixTime, reason: StopReason) {
        self.at = at
        self.reason = reason
    }

    /// Whether use before `at` can still be paid: yes for an expiry (the grant or the window was valid then), no
    /// for a freeze or a revocation, after which the grant pays nothing more, like a paid call's charge is
    /// refused; the time since the session's last tick is then not charged (the merchant's exposure is one
    /// interval).
    public var paysUntilEnd: Bool { reason != .grantFrozen && reason != .grantRevoked }

    /// The earlier of two ends.
    public static func earliest(_ first: FundingEnd?, _ second: FundingEnd?) -> FundingEnd? {
        guard let first else { return second }
        guard let second else { return first }
        return second.at < first.at ? second : first
    }
}
