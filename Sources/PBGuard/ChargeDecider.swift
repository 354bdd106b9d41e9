import PBCore
import PBCrypto
import PBProtocol
import PBStore

/// The stateful checks 12 to 19 of docs/PROTOCOL.md section 10, as a pure function of the state read inside the
/// charge's transaction. It never touches storage itself: the store runs it under its lock and writes the
/// mutation it returns, so the decision and the write are one atomic step.
public struct ChargeDecider: Sendable {
    public let maxWindowCredit: UInt128

    public init(maxWindowCredit: UInt128) {
        self.maxWindowCredit = maxWindowCredit
    }

    public func decide(_ attempt: PaymentAttempt, context: ChargeContext) -> ChargeDecision {
        guard let grantRecord = context.grant else {
            return .refuse(PaymentRefusal(.pbGrantUnknown, "grant \(attempt.channel.grantId) is not registered"), nil)
        }
        let channel = context.channel
        // A retry of a payment that was charged gets its receipt back but is not charged again; one that was voided
        // (the upstream failed) may be charged again, once.
        var isRetryOfVoided = false
        if let existing = context.existingPayment {
            guard existing.status == .voided else { return .duplicate(existing) }
            isRetryOfVoided = true
        }
        do throws(PaymentRefusal) {
            try checkGrant(grantRecord, attempt: attempt)
            let amount = attempt.offer.price
            var updated = channel
            let sequence: UInt64
            switch attempt.kind {
            case .singlePayment(let voucher):
                sequence = voucher.voucher.sequence
                try checkSequence(voucher, channel: channel, isRetry: isRetryOfVoided)
                guard voucher.voucher.cumulativeAmount == channel.chargedCumulativeAmount + amount else {
                    throw PaymentRefusal(
                        .pbCumulativeMismatch,
                        "voucher cumulative amount \(voucher.voucher.cumulativeAmount) must be the charged "
                            + "\(channel.chargedCumulativeAmount) plus the price \(amount)")
                }
                updated.lastSequence = max(channel.lastSequence, sequence)
                updated.latestVoucher = voucher.signed
                updated.window = nil
            case .windowOpening(let voucher):
                sequence = voucher.voucher.sequence
                try checkSequence(voucher, channel: channel, isRetry: isRetryOfVoided)
                let ceiling = voucher.voucher.cumulativeAmount
                guard ceiling > channel.chargedCumulativeAmount else {
                    throw PaymentRefusal(
                        .pbCumulativeMismatch,
                        "window voucher cumulative amount \(ceiling) must exceed the charged "
                            + "\(channel.chargedCumulativeAmount)")
                }
                let credit = ceiling - channel.chargedCumulativeAmount
                let perPaymentLimit = grantRecord.grant.perPaymentLimit
                guard (perPaymentLimit == 0 || credit <= perPaymentLimit), credit <= maxWindowCredit else {
                    throw PaymentRefusal(
                        .pbPerPaymentLimitExceeded,
                        "window credit \(credit) exceeds the limit of \(perPaymentLimit == 0 ? maxWindowCredit : min(perPaymentLimit, maxWindowCredit))")
                }
                guard channel.chargedCumulativeAmount + amount <= ceiling else {
                    throw PaymentRefusal(.pbWindowExhausted, "window credit \(credit) cannot pay the price \(amount)")
                }
                updated.lastSequence = max(channel.lastSequence, sequence)
                updated.latestVoucher = voucher.signed
                updated.window = CreditWindow(
                    windowId: voucher.voucherId, sequence: sequence, ceiling: ceiling,
                    validUntil: voucher.voucher.validUntil, sessionPublicKey: voucher.sessionPublicKey.compressedBytes)
            case .windowCall(let call):
                guard var window = channel.window, window.windowId == call.windowId else {
                    throw PaymentRefusal(.pbWindowClosed, "window \(call.windowId) is not the channel's open window")
                }
                guard attempt.now.seconds < Int64(clamping: window.validUntil) else {
                    throw PaymentRefusal(.pbWindowExpired, "window expired at \(window.validUntil)")
                }
                sequence = window.sequence
                if !isRetryOfVoided {
                    guard window.isFresh(call.callIndex) else {
                        throw PaymentRefusal(.pbSequenceReplayed, "call \(call.callIndex) of this window was already used")
                    }
                    window.markUsed(call.callIndex)
                }
                guard channel.chargedCumulativeAmount + amount <= window.ceiling else {
                    throw PaymentRefusal(
                        .pbWindowExhausted,
                        "window credit left \(window.ceiling - min(window.ceiling, channel.chargedCumulativeAmount)) "
                            + "cannot pay the price \(amount)")
                }
                updated.window = window
            }
            try checkRates(grantRecord, amount: amount, context: context)
            guard grantRecord.spent + amount <= grantRecord.grant.totalLimit else {
                throw PaymentRefusal(
                    .pbLimitExceeded,
                    "price \(amount) exceeds the grant's remaining \(grantRecord.remaining)")
            }
            updated.chargedCumulativeAmount += amount
            let grantSpent = grantRecord.spent + amount
            let receipt = PaymentReceipt(
                receiptId: attempt.receiptId, grantId: grantRecord.grantId, payee: attempt.channel.payee, amount: amount,
                chargedCumulativeAmount: updated.chargedCumulativeAmount,
                remainingLimit: grantRecord.grant.totalLimit - grantSpent, sequence: sequence,
                callIndex: attempt.callIndex, requestBinding: attempt.offer.requestBinding,
                issuedAt: UInt64(clamping: attempt.now.seconds))
            // Authorize-then-capture: the hold moves spent and charged like a charge, so budgets hold while the
            // call is in flight; the capture releases what the usage did not cost.
            var hold: PaymentHold?
            if let holdSeconds = attempt.offer.holdSeconds, let terms = attempt.offer.terms {
                hold = PaymentHold(
                    receiptId: attempt.receiptId, amount: amount, terms: terms,
                    expiresAt: attempt.now.adding(seconds: Int64(holdSeconds)))
            }
            let payment = PaymentRecord(
                receipt: receipt, service: attempt.offer.service.id, method: attempt.offer.method,
                target: attempt.offer.target, status: hold == nil ? .charged : .held, createdAt: attempt.now)
            return .charge(ChargeMutation(payment: payment, channel: updated, grantSpent: grantSpent, hold: hold))
        } catch {
            return .refuse(error, channel.state)
        }
    }

    /// Checks 12 and 13: the key may still pay, and may pay this payee for this service.
    private func checkGrant(_ record: GrantRecord, attempt: PaymentAttempt) throws(PaymentRefusal) {
        switch record.status {
        case .active: break
        case .frozen: throw PaymentRefusal(.pbKeyFrozen, "session key is frozen: \(record.statusReason ?? "no reason given")")
        case .revoked: throw PaymentRefusal(.pbGrantRevoked, "grant is revoked: \(record.statusReason ?? "no reason given")")
        }
        // Check 11 again under the lock: a window call carries no grant, and a grant can expire between requests.
        try SessionVerifier.checkValidity(of: record.grant, now: UInt64(clamping: attempt.now.seconds))
        guard record.grant.allows(payee: attempt.channel.payee) else {
            throw PaymentRefusal(.pbPayeeNotAllowed, "the grant does not allow paying \(attempt.channel.payee)")
        }
        guard record.grant.allows(service: attempt.offer.service.id) else {
            throw PaymentRefusal(.pbServiceNotAllowed, "the grant does not allow service \(attempt.offer.service.id)")
        }
        let price = attempt.offer.price
        if case .singlePayment = attempt.kind, record.grant.perPaymentLimit > 0, price > record.grant.perPaymentLimit {
            throw PaymentRefusal(
                .pbPerPaymentLimitExceeded, "price \(price) exceeds the per-payment limit \(record.grant.perPaymentLimit)")
        }
    }

    /// Check 16 for vouchers: sequences only go up (a voided payment's retry reuses its own sequence).
    private func checkSequence(_ voucher: VerifiedVoucher, channel: ChannelRecord, isRetry: Bool) throws(PaymentRefusal) {
        guard isRetry || voucher.voucher.sequence > channel.lastSequence else {
            throw PaymentRefusal(
                .pbSequenceReplayed,
                "voucher sequence \(voucher.voucher.sequence) is not above the last accepted \(channel.lastSequence)")
        }
    }

    /// Check 18: calls per minute and the period allowance.
    private func checkRates(_ record: GrantRecord, amount: UInt128, context: ChargeContext) throws(PaymentRefusal) {
        let grant = record.grant
        if grant.maxCallsPerMinute > 0, context.callsInRateWindow >= Int(grant.maxCallsPerMinute) {
            throw PaymentRefusal(.pbRateLimited, "at most \(grant.maxCallsPerMinute) paid calls per minute")
        }
        if grant.periodSeconds > 0, context.spentInPeriod + amount > grant.periodLimit {
            throw PaymentRefusal(
                .pbPeriodLimitExceeded,
                "this period's spend \(context.spentInPeriod) plus \(amount) exceeds \(grant.periodLimit)")
        }
    }

    /// Where the current spending period of `grant` began (`SessionGrant.periodStart(at:)`).
    public static func periodStart(of grant: SessionGrant, at now: UnixTime) -> UnixTime? { grant.periodStart(at: now) }
}
