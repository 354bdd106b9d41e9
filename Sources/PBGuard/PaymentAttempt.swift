import PBCore
import PBCrypto
import PBProtocol
import PBStore

/// What the gateway asks for one request: the service, the price and the x402 entry it offered.
///
/// A final class of constants rather than a struct: an offer holds some twenty references (the service's strings,
/// the requirements, `extra`), a paid call passes it through half a dozen values (the attempt, the charge's
/// closure, the receipt's inputs), and the route's offer is shared by every call within its second; as a struct each
/// hand-over retained and released every reference. Equality and hashing are by value, as before.
public final class PaymentOffer: Sendable, Hashable {
    public let service: ServiceRecord
    public let price: UInt128
    public let method: String
    public let target: String
    public let requestBinding: Bytes32
    public let requirements: PaymentRequirements
    public let extra: SessionRequirementsExtra
    /// The terms the price was quoted on (nil for an offer made from a bare price).
    public let terms: QuoteTerms?
    /// For authorize-then-capture: seconds the hold stays capturable; `price` is then the hold.
    public let holdSeconds: Int?

    public init(
        service: ServiceRecord, price: UInt128, method: String, target: String, requestBinding: Bytes32,
        requirements: PaymentRequirements, extra: SessionRequirementsExtra, terms: QuoteTerms? = nil,
        holdSeconds: Int? = nil
    ) {
        self.service = service
        self.price = price
        self.method = method
        self.target = target
        self.requestBinding = requestBinding
        self.requirements = requirements
        self.extra = extra
        self.terms = terms
        self.holdSeconds = holdSeconds
    }

    public static func == (left: PaymentOffer, right: PaymentOffer) -> Bool {
        left === right
            || (left.service == right.service && left.price == right.price && left.method == right.method
                && left.target == right.target && left.requestBinding == right.requestBinding
                && left.requirements == right.requirements && left.extra == right.extra && left.terms == right.terms
                && left.holdSeconds == right.holdSeconds)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(service)
        hasher.combine(price)
        hasher.combine(method)
        hasher.combine(target)
        hasher.combine(requestBinding)
        hasher.combine(requirements)
        hasher.combine(extra)
        hasher.combine(terms)
        hasher.combine(holdSeconds)
    }
}

/// A payment whose signatures (or MAC) checked out, ready for the stateful checks and the charge.
public struct PaymentAttempt: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A voucher paying this one request.
        case singlePayment(VerifiedVoucher)
        /// A voucher opening a credit window; it also pays this request as call 0 of the window.
        case windowOpening(VerifiedVoucher)
        /// A call inside the channel's open window, its MAC already verified.
        case windowCall(SessionCall)
    }

    public let kind: Kind
    public let channel: ChannelKey
    public let offer: PaymentOffer
    public let now: UnixTime
    /// The idempotency key: `keccak256(voucherId ‖ uint64be(callIndex))` (docs/PROTOCOL.md, section 9). Stored:
    /// the charge and its receipt both need it, and each derivation is a Keccak hash.
    public let receiptId: Bytes32

    public init(kind: Kind, channel: ChannelKey, offer: PaymentOffer, now: UnixTime) {
        self.kind = kind
        self.channel = channel
        self.offer = offer
        self.now = now
        switch kind {
        case .singlePayment(let voucher), .windowOpening(let voucher):
            receiptId = PaymentReceipt.receiptId(voucherId: voucher.voucherId, callIndex: 0)
        case .windowCall(let call):
            receiptId = PaymentReceipt.receiptId(voucherId: call.windowId, callIndex: call.callIndex)
        }
    }

    public var callIndex: UInt64 {
        if case .windowCall(let call) = kind { return call.callIndex }
        return 0
    }
}
