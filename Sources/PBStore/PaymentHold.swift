import PBCore
import PBPricing
import PBProtocol

/// The terms a price was quoted on, in configuration form: enough to price any usage of the quote again, exactly as
/// the gateway priced it when it made the quote (the plan, the dimension values, the oracle overrides in force,
/// and the instant). A hold keeps them, so its capture is priced on the quote's terms even if the route's plan or
/// the oracle changed since.
public struct QuoteTerms: Sendable, Hashable, Codable {
    /// `METHOD /path/pattern`, as oracle overrides name routes.
    public var route: String
    public var plan: PricePlanConfig
    /// The usage the quote priced, by unit name: the hold's maximum, or `call: 1`; metered quantities
    /// (milliseconds for time units).
    public var usage: [String: UInt64]
    public var dimensions: [String: String]
    public var overrides: [RateOverrideConfig]
    public var quotedAtMilliseconds: Int64
    public var lifetimeSeconds: Int64

    public init(
        route: String, plan: PricePlanConfig, usage: [String: UInt64], dimensions: [String: String],
        overrides: [RateOverrideConfig], quotedAtMilliseconds: Int64, lifetimeSeconds: Int64
    ) {
        self.route = route
        self.plan = plan
        self.usage = usage
        self.dimensions = dimensions
        self.overrides = overrides
        self.quotedAtMilliseconds = quotedAtMilliseconds
        self.lifetimeSeconds = lifetimeSeconds
    }
}

/// What a capture took: the amount, the usage it priced, the breakdown, and whether the usage went over the hold.
public struct HoldCapture: Sendable, Hashable {
    public let amount: UInt128
    /// By unit name, metered quantities.
    public let usage: [String: UInt64]
    /// The charge's breakdown as JSON (`Charge`'s encoding).
    public let breakdownJSON: String
    /// The reported usage cost more than the hold (or exceeded it in some unit): the hold was captured, no more.
    public let overHold: Bool
    public let capturedAt: UnixTime

    public init(amount: UInt128, usage: [String: UInt64], breakdownJSON: String, overHold: Bool, capturedAt: UnixTime) {
        self.amount = amount
        self.usage = usage
        self.breakdownJSON = breakdownJSON
        self.overHold = overHold
        self.capturedAt = capturedAt
    }
}

/// An authorized amount awaiting capture: stored with its payment (status `held`) in the charge's transaction.
public struct PaymentHold: Sendable, Hashable {
    public let receiptId: Bytes32
    /// The held amount: what the payment moved the grant's spent and the channel's charged amounts by.
    public let amount: UInt128
    public let terms: QuoteTerms
    /// From this instant the hold can no longer be captured and is released (voided).
    public let expiresAt: UnixTime
    public var capture: HoldCapture?
    public var releasedAt: UnixTime?

    public init(
        receiptId: Bytes32, amount: UInt128, terms: QuoteTerms, expiresAt: UnixTime, capture: HoldCapture? = nil,
        releasedAt: UnixTime? = nil
    ) {
        self.receiptId = receiptId
        self.amount = amount
        self.terms = terms
        self.expiresAt = expiresAt
        self.capture = capture
        self.releasedAt = releasedAt
    }
}

/// The state a capture is decided on, read inside the capture's transaction.
public struct CaptureContext: Sendable {
    public let payment: PaymentRecord
    public let hold: PaymentHold
    public let grant: GrantRecord
    public let channel: ChannelRecord
    /// The channel's carried sub-unit remainder, as `ChargeCarrier` JSON; nil before the first capture.
    public let carrierJSON: String?

    public init(payment: PaymentRecord, hold: PaymentHold, grant: GrantRecord, channel: ChannelRecord, carrierJSON: String?) {
        self.payment = payment
        self.hold = hold
        self.grant = grant
        self.channel = channel
        self.carrierJSON = carrierJSON
    }
}

/// What to write for a capture: the payment (status `charged`, its receipt at the captured amount), the capture,
/// and the channel's new carrier. The store checks that the released amount `hold - captured` comes off the
/// grant's spent and the channel's charged amounts exactly.
public struct CaptureMutation: Sendable {
    public let payment: PaymentRecord
    public let capture: HoldCapture
    public let carrierJSON: String?

    public init(payment: PaymentRecord, capture: HoldCapture, carrierJSON: String?) {
        self.payment = payment
        self.capture = capture
        self.carrierJSON = carrierJSON
    }
}

/// What the capture transaction found and did.
public enum CaptureOutcome: Sendable {
    case captured(PaymentRecord, PaymentHold)
    /// Captured earlier: the stored payment and capture.
    case alreadyCaptured(PaymentRecord, PaymentHold)
    /// The payment is not held (voided or a plain charge) or has no hold; nothing written.
    case notHeld(PaymentRecord?)
    /// The hold expired before this capture; the caller releases it.
    case expired(PaymentRecord, PaymentHold)
    /// `decide` refused (a usage it cannot price); nothing written.
    case refused(String)
}
