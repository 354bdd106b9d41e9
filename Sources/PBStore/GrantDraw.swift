import PBCore
import PBCrypto
import PBMetering
import PBProtocol

/// The rule by which a stream session paid from a session key's grant draws money (docs/METERING.md, "Sessions
/// paid by a session key"), as pure functions of the state a store reads inside the session update's transaction.
///
/// Nobody can drain the grant through a session: a draw raises the channel's charged amount only up to the
/// ceiling of the credit window the agent's own voucher opened on that channel (whose credit the charge path
/// capped at the grant's per-payment limit), never above the grant's remaining limit or its period allowance,
/// only while the grant is active, and only for use before the grant or the window expired. Each draw is written as a charged
/// payment through the same write as a paid call's (the grant's spent amount and the channel's charged amount
/// move together, the store's limit guards apply).
public enum GrantDraw {
    /// `METER`: the method of a draw's payment record; its target is `/v1/meter-sessions/{id}`.
    public static let method = "METER"

    /// What the grant and the channel's open window can still pay at `now`, and when the session's funding ends
    /// other than by running out: the grant frozen or revoked (at the instant its status changed), the grant
    /// expiring, or the window expiring (then the session stops with `insufficient_funds` and a new voucher can
    /// resume it).
    public static func allowance(grant: GrantRecord?, channel: ChannelRecord?, spentInPeriod: UInt128, now: UnixTime)
        -> (available: UInt128, end: FundingEnd?)
    {
        guard let grant else { return (0, nil) }
        let terms = grant.grant
        var end: FundingEnd? = FundingEnd(
            at: UnixTime(seconds: Int64(clamping: terms.validUntil)), reason: .grantExpired)
        switch grant.status {
        case .active: break
        case .frozen: end = FundingEnd.earliest(end, FundingEnd(at: grant.updatedAt, reason: .grantFrozen))
        case .revoked: end = FundingEnd.earliest(end, FundingEnd(at: grant.updatedAt, reason: .grantRevoked))
        }
        guard let window = channel?.window, let channel else { return (0, end) }
        end = FundingEnd.earliest(
            end, FundingEnd(at: UnixTime(seconds: Int64(clamping: window.validUntil)), reason: .insufficientFunds))
        // The expiries are not checked against `now` here: they are the funding's end, and the session never
        // charges past it, so a draw made at a tick after an expiry pays only for use before it.
        guard grant.status == .active, UInt64(clamping: now.seconds) >= terms.validAfter,
            window.ceiling > channel.chargedCumulativeAmount
        else { return (0, end) }
        var available = min(window.ceiling - channel.chargedCumulativeAmount, grant.remaining)
        if terms.periodSeconds > 0 {
            available = min(available, terms.periodLimit > spentInPeriod ? terms.periodLimit - spentInPeriod : 0)
        }
        return (available, end)
    }

    /// The charge of one draw of `amount` for `sessionId`, decided on the state read in the transaction: refused
    /// unless the allowance pays it in full.
    public static func decide(
        amount: UInt128, sessionId: String, service: String, request: ChargeRequest, context: ChargeContext,
        now: UnixTime
    ) -> ChargeDecision {
        guard let grant = context.grant else {
            return .refuse(PaymentRefusal(.pbGrantUnknown, "grant \(request.channel.grantId) is not registered"), nil)
        }
        if let existing = context.existingPayment { return .duplicate(existing) }
        let (available, _) = allowance(
            grant: grant, channel: context.channel, spentInPeriod: context.spentInPeriod, now: now)
        guard amount > 0, amount <= available, let window = context.channel.window else {
            return .refuse(
                PaymentRefusal(.pbWindowExhausted, "the session's draw \(amount) exceeds what the grant's window pays (\(available))"),
                context.channel.state)
        }
        var channel = context.channel
        channel.chargedCumulativeAmount += amount
        let spent = grant.spent + amount
        let target = "/v1/meter-sessions/\(sessionId)"
        let receipt = PaymentReceipt(
            receiptId: request.receiptId, grantId: grant.grantId, payee: request.channel.payee, amount: amount,
            chargedCumulativeAmount: channel.chargedCumulativeAmount, remainingLimit: grant.grant.totalLimit - spent,
            sequence: window.sequence, callIndex: 0, requestBinding: RequestBinding.compute(method: method, target: target),
            issuedAt: UInt64(clamping: now.seconds))
        let payment = PaymentRecord(
            receipt: receipt, service: service, method: method, target: target, status: .charged, createdAt: now)
        return .charge(ChargeMutation(payment: payment, channel: channel, grantSpent: spent))
    }

    /// A draw's idempotency key: `keccak256("pb-meter-draw" ‖ session id ‖ charged before)`. The session's charged
    /// total only grows, so each draw of a session has its own.
    public static func receiptId(sessionId: String, chargedBefore: Amount) -> Bytes32 {
        Bytes32(unchecked: Keccak256.hash(Array("pb-meter-draw\u{0}\(sessionId)\u{0}\(chargedBefore.baseUnits)".utf8)))
    }

    /// The channel a grant-funded session draws on.
    public static func channel(_ funding: GrantFunding) throws -> ChannelKey {
        ChannelKey(grantId: funding.grantId, payee: try EthereumAddress(funding.payee))
    }
}

extension SessionGrant {
    /// Where the current spending period began (periods start at validAfter and last periodSeconds); nil without
    /// a period limit.
    public func periodStart(at now: UnixTime) -> UnixTime? {
        guard periodSeconds > 0 else { return nil }
        let nowSeconds = UInt64(clamping: now.seconds)
        guard nowSeconds >= validAfter else { return UnixTime(seconds: Int64(clamping: validAfter)) }
        let elapsed = nowSeconds - validAfter
        return UnixTime(seconds: Int64(clamping: validAfter + elapsed - elapsed % periodSeconds))
    }
}
