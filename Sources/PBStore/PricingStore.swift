import PBCore
import PBPricing
import PBProtocol

/// A merchant-pushed oracle rate for one service (`POST /v1/services/{id}/rates`), in its config form.
public struct RateRecord: Sendable, Hashable {
    public let serviceId: String
    /// Its `service` is always `serviceId`.
    public let override: RateOverrideConfig
    public let createdAt: UnixTime
    public let updatedAt: UnixTime

    public init(serviceId: String, override: RateOverrideConfig, createdAt: UnixTime, updatedAt: UnixTime) {
        self.serviceId = serviceId
        self.override = override
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var id: String { override.id }
}

/// The decision a capture's `decide` returns.
public enum CaptureDecision: Sendable {
    case capture(CaptureMutation)
    case refuse(String)
}

/// Dynamic pricing's storage: the oracle's rates and authorize-then-capture holds. A hold is written with its
/// payment by `charge` (a `ChargeMutation` with a `hold`); these are the operations after that.
public protocol PricingStore: Sendable {
    // MARK: Oracle rates
    /// Stores a rate, replacing one with the same service and id. Returns whether it was new.
    func upsertRate(_ rate: RateRecord) async throws -> Bool
    /// Rates of one service, or of every service (nil), oldest first.
    func rates(serviceId: String?) async throws -> [RateRecord]
    /// Returns whether it existed.
    func deleteRate(serviceId: String, id: String) async throws -> Bool

    // MARK: Holds
    func hold(_ receiptId: Bytes32) async throws -> PaymentHold?
    /// One transaction: read the held payment, its hold, grant, channel and carried remainder; `decide`; write the
    /// capture (payment charged at the captured amount, the rest of the hold released from the grant's spent and
    /// the channel's charged amounts). Nothing is written unless the payment is `held` and the hold unexpired at
    /// `time`.
    func captureHold(
        _ receiptId: Bytes32, at time: UnixTime, decide: @escaping @Sendable (CaptureContext) -> CaptureDecision
    ) async throws -> CaptureOutcome
    /// Receipt ids of held payments whose hold expired at `time`, at most `limit`, earliest expiry first.
    func expiredHolds(at time: UnixTime, limit: Int) async throws -> [Bytes32]
    /// Voids a held payment whose hold expired at `time` (as `voidPayment` does); nil when it is not held or not
    /// expired, so a racing capture is never undone.
    func releaseExpiredHold(_ receiptId: Bytes32, at time: UnixTime) async throws -> PaymentRecord?
}
