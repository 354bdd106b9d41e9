import PBCore
import PBCrypto
import PBMetering
import PBProtocol

/// A page of a list, newest first, and the cursor for the next page (nil at the end).
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Storage errors that are not a refusal of the payment: the caller answers 500 or 409, never a partial charge.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Everything the gateway keeps. Implementations: PBStoreSQLite (embedded default), PostgreSQL (later); both pass
/// the shared suite in Tests/PBStoreTestSuite.
///
/// The one operation that moves money is `charge`: it reads the context, lets the caller's pure `decide` function
/// judge it, and writes the mutation, all in one transaction, so that two concurrent charges can never both spend
/// the last of a budget. Implementations must also refuse, as a `StoreError`, any write that would take a grant's
/// spent amount above its limit or a channel's charged amount below zero (a second guard behind `decide`).
public protocol GatewayStore: PricingStore, MeteringStore, SentinelStore, AlertStore, SettlementStore, LedgerStore, Sendable {
    // MARK: Grants
    /// Stores a grant verified by the caller; registering the same grant again returns the stored record.
    func registerGrant(_ signed: SignedSessionGrant, at time: UnixTime) async throws -> GrantRecord
    func grant(_ grantId: Bytes32) async throws -> GrantRecord?
    /// Sets a grant's status; `revoked` is final (a revoked grant stays revoked). Returns nil for an unknown grant.
    func updateGrantStatus(_ grantId: Bytes32, to status: GrantStatus, reason: String?, at time: UnixTime)
        async throws -> GrantRecord?
    /// Grants, newest first.
    func grants(after cursor: String?, limit: Int) async throws -> Page<GrantRecord>

    // MARK: Channels and payments
    func channel(_ key: ChannelKey) async throws -> ChannelRecord?
    /// One transaction: read the context for `request`, `decide`, apply a `.charge` mutation. Returns the decision.
    /// An adapter may group several charges into one commit (each still sees the ones before it) and may call
    /// `decide` on another thread, but answers only after the commit that holds the charge.
    func charge(_ request: ChargeRequest, decide: @escaping @Sendable (ChargeContext) -> ChargeDecision) async throws
        -> ChargeDecision
    /// Refunds a charged or held payment (the upstream failed): status voided, the grant's spent and the channel's
    /// charged amount reduced by its amount. Returns the voided payment, or nil when there is none to void.
    func voidPayment(_ receiptId: Bytes32, at time: UnixTime) async throws -> PaymentRecord?
    func payment(_ receiptId: Bytes32) async throws -> PaymentRecord?
    /// Payments, newest first, optionally of one grant.
    func payments(grantId: Bytes32?, after cursor: String?, limit: Int) async throws -> Page<PaymentRecord>

    // MARK: Merchant configuration
    func upsertService(_ service: ServiceRecord) async throws
    func service(_ serviceId: String) async throws -> ServiceRecord?
    func services() async throws -> [ServiceRecord]
    /// Returns whether it existed.
    func deleteService(_ serviceId: String) async throws -> Bool

    func createAPIKey(_ key: APIKeyRecord) async throws
    /// The key whose secret hashes to `secretHash`, unless revoked.
    func apiKey(secretHash: Bytes32) async throws -> APIKeyRecord?
    func apiKeys() async throws -> [APIKeyRecord]

    /// The stored response of an earlier POST with this `Idempotency-Key`, if any.
    func idempotentResponse(key: String) async throws -> IdempotentResponse?
    /// Stores the response of a POST; a second save under the same key keeps the first.
    func saveIdempotentResponse(_ response: IdempotentResponse) async throws
}
