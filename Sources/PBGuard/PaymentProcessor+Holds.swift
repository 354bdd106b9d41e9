import Foundation
import PBCore
import PBCrypto
import PBPricing
import PBProtocol
import PBStore

/// What a capture did.
public enum CaptureResult: Sendable {
    /// Captured now; the settle response carries the receipt at the captured amount and the breakdown.
    case captured(PaidPayment, PaymentHold)
    /// Captured before (a repeated capture); the stored capture, nothing written.
    case alreadyCaptured(PaidPayment, PaymentHold)
    /// The hold had expired: it is released (voided), nothing captured.
    case expired(PaymentRecord?)
    /// Not a held payment (unknown, voided, or charged without a hold).
    case notHeld(PaymentRecord?)
}

/// Authorize-then-capture (docs/PRICING.md, "The gateway"): pricing the reported usage on the hold's quote terms,
/// capturing it with the channel's carried remainder, and releasing holds that expired.
extension PaymentProcessor {
    /// Captures `usage` on a held payment: priced with the hold's plan, dimensions and overrides at the quote's
    /// instant (honouring the quote), collected with the channel's `ChargeCarrier` (rounded down, the sub-unit rest
    /// carried), at most the hold. Throws `UsageReportError` for usage the plan cannot price; nothing is captured.
    public func capture(_ receiptId: Bytes32, usage: ReportedUsage) async throws -> CaptureResult {
        guard let hold = try await store.hold(receiptId) else { return .notHeld(try await store.payment(receiptId)) }
        let priced = try Self.price(usage, on: hold.terms)
        let now = self.now
        let outcome = try await store.captureHold(receiptId, at: now) { context in
            Self.decideCapture(priced, context: context, at: now)
        }
        switch outcome {
        case .captured(let payment, let hold):
            return .captured(try await paid(payment, hold: hold), hold)
        case .alreadyCaptured(let payment, let hold):
            return .alreadyCaptured(try await paid(payment, hold: hold), hold)
        case .expired(let payment, _):
            return .expired(try await store.releaseExpiredHold(receiptId, at: now) ?? payment)
        case .notHeld(let payment):
            return .notHeld(payment)
        case .refused(let message):
            throw UsageReportError(field: "", message)
        }
    }

    /// Releases (voids) up to `limit` holds that expired by now; returns the released payments.
    public func releaseExpiredHolds(limit: Int = 256) async throws -> [PaymentRecord] {
        let now = self.now
        var released: [PaymentRecord] = []
        for receiptId in try await store.expiredHolds(at: now, limit: limit) {
            if let payment = try await store.releaseExpiredHold(receiptId, at: now) { released.append(payment) }
        }
        return released
    }

    /// The `PAYMENT-RESPONSE` of a held or captured payment: the signed receipt, and in `extra` the hold's state
    /// (`status`, `heldAmount`, `holdExpiresAt`) and, once captured, the usage and the machine-readable breakdown.
    public func settleResponse(for payment: PaymentRecord, hold: PaymentHold, payer: EthereumAddress?) -> SettleResponse {
        var response = settleResponse(for: payment, payer: payer)
        guard case .object(var members) = response.extra else { return response }
        members.append(("status", .string(payment.status.rawValue)))
        members.append(("heldAmount", .string(String(hold.amount))))
        members.append(("holdExpiresAt", .string(String(hold.expiresAt.seconds))))
        if let capture = hold.capture {
            members.append(("capturedAmount", .string(String(capture.amount))))
            members.append(("usage", .object(capture.usage.sorted { $0.key < $1.key }.map { ($0.key, .string(String($0.value))) })))
            members.append(("overHold", .bool(capture.overHold)))
            members.append(("breakdown", (try? JSONValue.parse(Array(capture.breakdownJSON.utf8))) ?? .null))
        }
        response.extra = .object(members)
        return response
    }

    private func paid(_ payment: PaymentRecord, hold: PaymentHold) async throws -> PaidPayment {
        let payer = try await store.grant(payment.grantId)?.grant.owner
        return PaidPayment(record: payment, settleResponse: settleResponse(for: payment, hold: hold, payer: payer))
    }

    /// A capture priced before the transaction: the charge, the usage as stored, and whether it went over the hold.
    struct PricedCapture: Sendable {
        let charge: Charge
        let asset: Asset
        let usage: [String: UInt64]
        let exceedsHoldUsage: Bool
        let breakdownJSON: String
    }

    /// Prices `usage` on a hold's terms: the plan at the quote's instant, with the quote's dimensions and overrides,
    /// honouring the quote (re-made from the same terms, so it is the quote the client accepted).
    static func price(_ usage: ReportedUsage, on terms: QuoteTerms) throws -> PricedCapture {
        let plan = try PricePlan(config: terms.plan)
        let overrides = try terms.overrides.map { try RateOverride(config: $0, decimals: plan.asset.decimals) }
        let quotedAt = UnixTime(milliseconds: terms.quotedAtMilliseconds)
        var holdUsage: [PricingUnit: UInt64] = [:]
        for (name, quantity) in terms.usage { holdUsage[try PricingUnit(name: name)] = quantity }
        var actual = usage.quantities
        for unit in actual.keys where holdUsage[unit] == nil {
            throw UsageReportError(field: unit.name, "is not priced on this route (it prices \(terms.usage.keys.sorted().joined(separator: ", ")))")
        }
        // A plan with a per-call price charges the call whatever the usage report says.
        if holdUsage[.call] != nil { actual[.call] = 1 }
        let quote = try plan.quote(
            RoutePricePlan.event(holdUsage, at: quotedAt, dimensions: terms.dimensions), overrides: overrides,
            now: quotedAt, lifetimeSeconds: terms.lifetimeSeconds)
        let charge = try plan.charge(
            RoutePricePlan.event(actual, at: quotedAt, dimensions: terms.dimensions), overrides: overrides,
            honouring: quote)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return PricedCapture(
            charge: charge, asset: plan.asset,
            usage: Dictionary(uniqueKeysWithValues: actual.map { ($0.key.name, $0.value) }),
            exceedsHoldUsage: actual.contains { $0.value > holdUsage[$0.key] ?? 0 },
            breakdownJSON: String(decoding: try encoder.encode(charge), as: UTF8.self))
    }

    /// Inside the capture's transaction: collect the charge with the channel's carried remainder, never more than
    /// the hold. Usage that costs more than the hold captures exactly the hold and leaves the carrier as it was.
    static func decideCapture(_ priced: PricedCapture, context: CaptureContext, at now: UnixTime) -> CaptureDecision {
        let hold = context.hold
        var carrier = ChargeCarrier(asset: priced.asset)
        if let stored = context.carrierJSON {
            guard let decoded = try? JSONDecoder().decode(ChargeCarrier.self, from: Data(stored.utf8)) else {
                return .refuse("the channel's carried remainder is unreadable")
            }
            carrier = decoded
        }
        let before = carrier
        let collected: UInt128
        do { collected = try carrier.collect(priced.charge).baseUnits } catch {
            return .refuse("the usage cannot be collected: \(error)")
        }
        var amount = collected, overHold = priced.exceedsHoldUsage
        if collected > hold.amount {
            amount = hold.amount
            carrier = before
            overHold = true
        }
        let released = hold.amount - amount
        let grantSpent = context.grant.spent - released
        let previous = context.payment.receipt
        let receipt = PaymentReceipt(
            receiptId: previous.receiptId, grantId: previous.grantId, payee: previous.payee, amount: amount,
            chargedCumulativeAmount: context.channel.chargedCumulativeAmount - released,
            remainingLimit: context.grant.grant.totalLimit - grantSpent, sequence: previous.sequence,
            callIndex: previous.callIndex, requestBinding: previous.requestBinding,
            issuedAt: UInt64(clamping: now.seconds))
        var payment = context.payment
        payment = PaymentRecord(
            receipt: receipt, service: payment.service, method: payment.method, target: payment.target,
            status: .charged, createdAt: payment.createdAt, updatedAt: now)
        let carrierJSON = (try? JSONEncoder().encode(carrier)).map { String(decoding: $0, as: UTF8.self) }
        return .capture(CaptureMutation(
            payment: payment,
            capture: HoldCapture(
                amount: amount, usage: priced.usage, breakdownJSON: priced.breakdownJSON, overHold: overHold,
                capturedAt: now),
            carrierJSON: carrierJSON))
    }
}
