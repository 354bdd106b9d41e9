import PBCore
import PBMetering

/// A top-up as the store answers it: the credit, the account after it, and whether it was a replay of an earlier
/// top-up with the same id (then nothing changed).
///
/// A class: it is handed across async calls (store, meter, API) as one reference rather than two large structs of
/// `UInt128`s.
public final class TopUpResult: Sendable {
    public let topUp: TopUp
    public let account: Account
    public let isReplay: Bool

    public init(topUp: TopUp, account: Account, isReplay: Bool) {
        self.topUp = topUp
        self.account = account
        self.isReplay = isReplay
    }
}

/// A merchant event waiting for (or done with) webhook delivery.
public struct PendingEvent: Sendable, Hashable {
    public let event: MeteringEvent
    public let attempts: Int

    public init(event: MeteringEvent, attempts: Int) {
        self.event = event
        self.attempts = attempts
    }
}

/// What became of one delivery attempt.
public enum DeliveryOutcome: Sendable, Hashable {
    case delivered
    /// Try again at this instant.
    case retry(at: UnixTime)
    /// Attempts exhausted: kept, listable, no longer sent.
    case failed
}

/// Prepaid accounts, stream sessions, their usage events and the merchant's events (docs/METERING.md). Part of
/// every `GatewayStore`; the shared suite in Tests/PBStoreTestSuite checks it.
///
/// Money moves only in `topUp` (credit) and `updateSession` (debit): the debit and the session's charged total are
/// written in one transaction with the usage and the events that caused them, and the store refuses, as a
/// `StoreError`, an update in which the account did not lose exactly what the session charged or whose balance
/// would go below zero. A grant-funded session's debit is a charge on its grant and channel (`GrantDraw`) in that
/// same transaction.
public protocol MeteringStore: Sendable {
    // MARK: Accounts
    /// Stores a new account; false (nothing changed) when the id is taken.
    func createAccount(_ account: Account) async throws -> Bool
    func account(_ accountId: String) async throws -> Account?
    /// Credits `amount`, idempotent by `topUpId`: a repeated id returns the first top-up with `isReplay` and
    /// changes nothing (a different amount or account under the same id is a `StoreError`). Nil for an unknown
    /// account.
    func topUp(accountId: String, topUpId: String, amount: Amount, at time: UnixTime) async throws -> TopUpResult?
    /// Top-ups of an account at or after `since`, oldest first, at most `limit` (1...500).
    func topUps(accountId: String, since: UnixTime, limit: Int) async throws -> [TopUp]

    /// What a grant's channel can pay now and when its funding ends (`GrantDraw.allowance`), as the view account
    /// of `funding` in `asset`: what a grant-funded session's start is checked against.
    func grantFunding(_ funding: GrantFunding, asset: Asset) async throws -> (account: Account, end: FundingEnd?)

    // MARK: Sessions
    /// Stores a new session as `SessionUpdate.start` accepted it; false (nothing changed) when the id is taken.
    /// A grant-funded session's `accountId` names its view (`grant:<grant id>:<payee>`), created with it.
    func createSession(_ session: MeterSession) async throws -> Bool
    func session(_ sessionId: String) async throws -> MeterSession?
    /// The account's sessions, newest first, at most 500.
    func sessions(accountId: String) async throws -> [MeterSession]
    /// Ids of active time-metered sessions due at or before `time`, earliest due first, at most `limit`.
    func dueSessionIds(at time: UnixTime, limit: Int) async throws -> [String]
    /// One transaction: reads the session, its account and which of `usageIds` are already recorded; `change`
    /// computes the update from them; writes the session, the account, the new usage events, the ledger entry
    /// and the merchant events. When `change` throws nothing is written and the error is rethrown. Nil for an
    /// unknown session. Adapters may group concurrent updates into one commit and answer after it.
    func updateSession(
        _ sessionId: String, usageIds: [String],
        change: @escaping @Sendable (inout SessionUpdate, Set<String>) throws -> Void
    ) async throws -> SessionUpdate?

    // MARK: Usage and events
    /// The session's recorded usage events, newest first.
    func usageEvents(sessionId: String, after cursor: String?, limit: Int) async throws -> Page<RecordedUsage>
    /// Merchant events, newest first, optionally of one account or session.
    func meteringEvents(accountId: String?, sessionId: String?, after cursor: String?, limit: Int) async throws
        -> Page<MeteringEvent>
    /// Events not yet delivered whose next attempt is due at `time`, oldest first, at most `limit`.
    func pendingEvents(dueAt time: UnixTime, limit: Int) async throws -> [PendingEvent]
    func recordDelivery(of sequence: Int64, attempts: Int, outcome: DeliveryOutcome) async throws
}
