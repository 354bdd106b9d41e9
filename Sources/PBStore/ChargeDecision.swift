import PBCore
import PBProtocol

/// What the store needs to gather the state a charge is decided on.
public struct ChargeRequest: Sendable, Hashable {
    public let channel: ChannelKey
    /// The idempotency key: the receipt id derived from the voucher (and call index).
    public let receiptId: Bytes32
    /// Paid calls under the grant since this time count against `maxCallsPerMinute` (nil: the grant has no rate
    /// limit, so the store need not count).
    public let rateWindowStart: UnixTime?
    /// Charges under the grant since this time count against `periodLimit` (nil: no period limit).
    public let periodStart: UnixTime?

    /// For a call inside a credit window: the window and the call's index, whose receipt id is
    /// `PaymentReceipt.receiptId(voucherId: windowId, callIndex:)`. A store may then skip looking the receipt up when
    /// the channel's open window shows the index unused, since charging it would have marked it.
    public let windowCall: WindowCallReference?

    public init(
        channel: ChannelKey, receiptId: Bytes32, rateWindowStart: UnixTime?, periodStart: UnixTime?,
        windowCall: WindowCallReference? = nil
    ) {
        self.channel = channel
        self.receiptId = receiptId
        self.rateWindowStart = rateWindowStart
        self.periodStart = periodStart
        self.windowCall = windowCall
    }
}

/// A call inside a credit window, as `ChargeRequest.windowCall` names it.
public struct WindowCallReference: Sendable, Hashable {
    public let windowId: Bytes32
    public let callIndex: UInt64

    public init(windowId: Bytes32, callIndex: UInt64) {
        self.windowId = windowId
        self.callIndex = callIndex
    }
}

/// The state a charge is decided on, read inside the charge's transaction.
public struct ChargeContext: Sendable, Hashable {
    public let grant: GrantRecord?
    /// The channel's record, or a fresh one at zero when it has never been paid.
    public let channel: ChannelRecord
    /// A payment already stored under the request's receipt id (a retry).
    public let existingPayment: PaymentRecord?
    /// Charged and held payments under the grant since `rateWindowStart` (0 when it is nil).
    public let callsInRateWindow: Int
    /// Amount charged under the grant since `periodStart` (0 without a period).
    public let spentInPeriod: UInt128

    public init(
        grant: GrantRecord?, channel: ChannelRecord, existingPayment: PaymentRecord?, callsInRateWindow: Int,
        spentInPeriod: UInt128
    ) {
        self.grant = grant
        self.channel = channel
        self.existingPayment = existingPayment
        self.callsInRateWindow = callsInRateWindow
        self.spentInPeriod = spentInPeriod
    }
}

/// What to write when a charge is accepted.
public struct ChargeMutation: Sendable, Hashable {
    /// Inserted, or replacing a voided payment with the same receipt id (a retry after an upstream failure).
    public let payment: PaymentRecord
    public let channel: ChannelRecord
    /// The grant's new spent total.
    public let grantSpent: UInt128
    /// For authorize-then-capture: the hold written with the payment, whose status is then `held`.
    public let hold: PaymentHold?

    public init(payment: PaymentRecord, channel: ChannelRecord, grantSpent: UInt128, hold: PaymentHold? = nil) {
        self.payment = payment
        self.channel = channel
        self.grantSpent = grantSpent
        self.hold = hold
    }
}

/// The outcome of a charge: applied, a retry of one already charged, or refused with the channel's state.
public enum ChargeDecision: Sendable, Hashable {
    case charge(ChargeMutation)
    case duplicate(PaymentRecord)
    case refuse(PaymentRefusal, ChannelState?)
}
