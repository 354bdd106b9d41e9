import PBCore
import PBCrypto
import PBLedger
import PBProtocol
import PBSettlement
import PBStore
import Testing

/// The settlement and ledger behaviour every store adapter must have, as plain functions each adapter's test
/// target calls, like `GatewayStoreSuite`.
public struct SettlementStoreSuite: Sendable {
    let makeStore: @Sendable () async throws -> any GatewayStore
    let fixture = StoreFixture()
    static let start = StoreFixture.start

    public init(makeStore: @escaping @Sendable () async throws -> any GatewayStore) {
        self.makeStore = makeStore
    }

    /// Charges `count` calls of `price` on the fixture's channel of `grantId`, each with a voucher covering it.
    func charge(_ count: Int, price: UInt128, on grantId: Bytes32, from time: UnixTime, store: any GatewayStore)
        async throws
    {
        for offset in 0..<count {
            let request = fixture.request(grantId)
            let callTime = time.adding(milliseconds: Int64(offset))
            let fixture = self.fixture
            let decision = try await store.charge(request) { context in
                let cumulative = context.channel.chargedCumulativeAmount + price
                let voucher = fixture.signedVoucher(grantId, cumulativeAmount: cumulative, sequence: context.channel.lastSequence + 1)
                guard let mutation = StoreFixture.mutation(context, request, price: price, at: callTime, voucher: voucher)
                else { return .refuse(PaymentRefusal(.pbGrantUnknown, "unknown grant"), nil) }
                return .charge(mutation)
            }
            guard case .charge = decision else { throw StoreError("call \(offset) was not charged") }
        }
    }

    func storeWithCharges(_ count: Int = 3, price: UInt128 = 1_000_000) async throws -> (any GatewayStore, GrantRecord) {
        let store = try await makeStore()
        let grant = try await store.registerGrant(fixture.signedGrant(), at: Self.start)
        try await charge(count, price: price, on: grant.grantId, from: Self.start, store: store)
        return (store, grant)
    }

    func record(_ candidate: SettlementCandidate, id: String, at time: UnixTime) throws -> SettlementRecord {
        let voucher = try #require(candidate.channel.latestVoucher)
        let claim = SettlementClaim(
            grant: candidate.grant.signed, voucher: voucher,
            chargedCumulativeAmount: candidate.channel.chargedCumulativeAmount,
            settledCumulativeAmount: candidate.settledCumulativeAmount)
        return SettlementRecord(
            batchId: id, rail: "ledger", reasons: [.threshold], claims: [StoredSettlementClaim(claim)], createdAt: time)
    }

    static let retryInAMinute: @Sendable (Int) -> UnixTime? = { _ in start.adding(seconds: 60) }

    public func aSettlementMovesDueSubmittedConfirmedAndRaisesSettledOnce() async throws {
        let (store, grant) = try await storeWithCharges()
        let channel = fixture.channelKey(grant.grantId)
        let later = Self.start.adding(seconds: 10)
        let candidate = try #require(try await store.settlementCandidates(at: later, limit: 10).first)
        #expect(candidate.settledCumulativeAmount == 0)
        #expect(candidate.channel.chargedCumulativeAmount == 3_000_000)
        #expect(candidate.oldestUnsettledChargeAt == Self.start, "the first charge is the oldest unsettled one")

        let record = try self.record(candidate, id: "b1", at: later)
        try await store.createSettlement(record)
        #expect(try await store.settlementCandidates(at: later, limit: 10).isEmpty, "a channel in an open settlement waits")
        await #expect(throws: (any Error).self, "one open settlement per channel") {
            try await store.createSettlement(try self.record(candidate, id: "b2", at: later))
        }
        #expect(try await store.settlement("b2") == nil, "the refused settlement left nothing behind")
        #expect(try await store.settlement("b1") == record)

        let prepared = PreparedSettlement(batchId: "b1", reference: "0xabc", payload: [1, 2, 3])
        let submitted = try await store.recordPrepared(prepared, at: later)
        #expect(submitted.state == .submitted)
        #expect(submitted.prepared == prepared, "the exact bytes to resend are kept")
        await #expect(throws: (any Error).self, "a settlement is prepared once") {
            _ = try await store.recordPrepared(PreparedSettlement(batchId: "b1", reference: "0xdef", payload: []), at: later)
        }
        #expect(try await store.settlements(in: [.submitted], limit: 10).map(\.batchId) == ["b1"])

        let confirmed = try await store.confirmSettlement(
            "b1", settledCumulativeAmounts: [3_000_000], at: later, retryAt: Self.retryInAMinute)
        #expect(confirmed.state == .confirmed)
        #expect(confirmed.claims.first?.confirmedCumulativeAmount == 3_000_000)
        #expect(try await store.settledCumulativeAmount(channel) == 3_000_000)
        let again = try await store.confirmSettlement(
            "b1", settledCumulativeAmounts: [3_000_000], at: later, retryAt: Self.retryInAMinute)
        #expect(again == confirmed, "confirming twice changes nothing")
        #expect(try await store.settlementCandidates(at: later, limit: 10).isEmpty, "nothing left to settle")

        try await charge(2, price: 1_000_000, on: grant.grantId, from: Self.start.adding(seconds: 20), store: store)
        let next = try #require(try await store.settlementCandidates(at: later, limit: 10).first)
        #expect(next.settledCumulativeAmount == 3_000_000)
        #expect(next.oldestUnsettledChargeAt == Self.start.adding(seconds: 20), "the oldest charge after the last settlement")
        await #expect(throws: (any Error).self, "a claim cut before the last settlement is refused") {
            try await store.createSettlement(try self.record(candidate, id: "stale", at: later))
        }
    }

    public func aFailedSettlementIsRetriedAfterItsDelayThenParked() async throws {
        let (store, grant) = try await storeWithCharges()
        let now = Self.start.adding(seconds: 10)
        let candidate = try #require(try await store.settlementCandidates(at: now, limit: 10).first)
        try await store.createSettlement(try record(candidate, id: "b1", at: now))
        let failed = try await store.failSettlement("b1", reason: "rail down", at: now, retryAt: Self.retryInAMinute)
        #expect(failed.state == .failed)
        #expect(failed.failureReason == "rail down")
        #expect(try await store.settlementCandidates(at: Self.start.adding(seconds: 59), limit: 10).isEmpty, "waits")
        let retried = try #require(try await store.settlementCandidates(at: Self.start.adding(seconds: 60), limit: 10).first)
        #expect(retried.failedAttempts == 1)
        #expect(retried.settledCumulativeAmount == 0, "a failure settles nothing")

        try await store.createSettlement(try record(retried, id: "b2", at: now))
        _ = try await store.failSettlement("b2", reason: "again", at: now) { _ in nil }
        #expect(try await store.settlementCandidates(at: Self.start.adding(seconds: 99_999), limit: 10).isEmpty, "parked")
        #expect(try await store.settledCumulativeAmount(fixture.channelKey(grant.grantId)) == 0)
        #expect(Set(try await store.settlements(in: [.failed], limit: 10).map(\.batchId)) == ["b1", "b2"])
    }

    public func aConfirmationShortOfTheTargetCountsAsAFailedAttempt() async throws {
        let (store, grant) = try await storeWithCharges()
        let now = Self.start.adding(seconds: 10)
        let candidate = try #require(try await store.settlementCandidates(at: now, limit: 10).first)
        try await store.createSettlement(try record(candidate, id: "b1", at: now))
        _ = try await store.recordPrepared(PreparedSettlement(batchId: "b1", reference: "r", payload: []), at: now)
        await #expect(throws: (any Error).self, "a rail never reports more than the target") {
            _ = try await store.confirmSettlement("b1", settledCumulativeAmounts: [3_000_001], at: now, retryAt: Self.retryInAMinute)
        }
        // The rail skipped the claim (a contract's VoucherRejected): settled stays, the channel retries later.
        _ = try await store.confirmSettlement("b1", settledCumulativeAmounts: [0], at: now, retryAt: Self.retryInAMinute)
        #expect(try await store.settledCumulativeAmount(fixture.channelKey(grant.grantId)) == 0)
        #expect(try await store.settlementCandidates(at: now, limit: 10).isEmpty)
        #expect(try await store.settlementCandidates(at: Self.start.adding(seconds: 60), limit: 10).first?.failedAttempts == 1)
    }

    // MARK: Ledger

    static let asset = "eip155:8453/usdc"
    static let accounts = [
        LedgerAccount(id: "world", asset: asset),
        LedgerAccount(id: "escrow", asset: asset, constraint: .debitsMustNotExceedCredits),
        LedgerAccount(id: "receivable", asset: asset, constraint: .debitsMustNotExceedCredits),
    ]

    public func ledgerTransfersAreIdempotentBalancedAndKept() async throws {
        let store = try await makeStore()
        let deposit = LedgerTransfer(id: "deposit", debitAccountId: "world", creditAccountId: "escrow", amount: 100)
        #expect(try await store.applyLedgerTransfers([deposit], opening: Self.accounts, linked: true, at: 1) == [.created])
        #expect(try await store.applyLedgerTransfers([deposit], opening: [], linked: true, at: 2) == [.exists])
        let tooMuch = LedgerTransfer(id: "charge", debitAccountId: "escrow", creditAccountId: "receivable", amount: 101)
        let fine = LedgerTransfer(id: "charge-2", debitAccountId: "escrow", creditAccountId: "receivable", amount: 1)
        let linked = try await store.applyLedgerTransfers([fine, tooMuch], opening: [], linked: true, at: 3)
        #expect(linked == [.rejected(.linkedTransferFailed), .rejected(.exceedsCredits)])
        #expect(try await store.ledgerAccounts(["escrow"]).first?.available == 100, "a refused linked batch writes nothing")

        // A hold with a timeout: it expires by itself and its amount is available again.
        let hold = LedgerTransfer(
            id: "hold", debitAccountId: "escrow", creditAccountId: "receivable", amount: 60, kind: .pending(timeoutSeconds: 10))
        #expect(try await store.applyLedgerTransfers([hold], opening: [], linked: false, at: 10) == [.created])
        #expect(try await store.ledgerAccounts(["escrow"]).first?.available == 40)
        #expect(try await store.expireLedgerHolds(at: 19, limit: 10).isEmpty)
        #expect(try await store.expireLedgerHolds(at: 20, limit: 10) == ["hold"])
        #expect(try await store.ledgerAccounts(["escrow"]).first?.available == 100)
        let late = LedgerTransfer(id: "post", debitAccountId: "escrow", creditAccountId: "receivable", amount: 60, kind: .postPending(pendingId: "hold"))
        #expect(try await store.applyLedgerTransfers([late], opening: [], linked: false, at: 21) == [.rejected(.pendingExpired)])
        // A second hold, posted in part.
        let second = LedgerTransfer(
            id: "hold-2", debitAccountId: "escrow", creditAccountId: "receivable", amount: 30, kind: .pending(timeoutSeconds: nil))
        let post = LedgerTransfer(id: "post-2", debitAccountId: "escrow", creditAccountId: "receivable", amount: 20, kind: .postPending(pendingId: "hold-2"))
        _ = try await store.applyLedgerTransfers([second], opening: [], linked: false, at: 30)
        #expect(try await store.applyLedgerTransfers([post], opening: [], linked: false, at: 31) == [.created])

        let ledger = try await store.loadLedger()
        #expect(ledger.journal == ["deposit", "hold", "hold-2", "post-2"])
        #expect(ledger.pendingStates == ["hold": .expired, "hold-2": .posted])
        let report = ledger.check()
        #expect(report.balances, "\(report.problems)")
        #expect(report.totals[Self.asset]?.debits == 120 && report.totals[Self.asset]?.credits == 120)
    }

    public func aLedgerBatchKeepsItsFirstOutcome() async throws {
        let store = try await makeStore()
        _ = try await store.applyLedgerTransfers(
            [LedgerTransfer(id: "deposit", debitAccountId: "world", creditAccountId: "escrow", amount: 100)],
            opening: Self.accounts, linked: true, at: 1)
        let pay: (inout Ledger) -> LedgerBatchOutcome = { ledger in
            let move = LedgerTransfer(id: "pay:b1", debitAccountId: "escrow", creditAccountId: "receivable", amount: 70)
            guard ledger.apply(move, at: 5) == .created else { return .rejected(reason: "refused") }
            return .posted(settledCumulativeAmounts: [70])
        }
        #expect(try await store.ledgerBatchOutcome("b1") == nil)
        let first = try await store.settleOnLedger(batchId: "b1", accountIds: ["escrow", "receivable"], transferIds: [], pay)
        #expect(first == .posted(settledCumulativeAmounts: [70]))
        let again = try await store.settleOnLedger(batchId: "b1", accountIds: ["escrow", "receivable"], transferIds: [], pay)
        #expect(again == first, "a second broadcast of a batch answers its stored outcome")
        #expect(try await store.ledgerAccounts(["receivable"]).first?.creditsPosted == 70, "and moves nothing")
        let refused = try await store.settleOnLedger(batchId: "b2", accountIds: ["escrow", "receivable"], transferIds: []) { ledger in
            _ = ledger.apply(LedgerTransfer(id: "pay:b2", debitAccountId: "escrow", creditAccountId: "receivable", amount: 10), at: 6)
            return .rejected(reason: "exceeds_credits")
        }
        #expect(refused == .rejected(reason: "exceeds_credits"))
        #expect(try await store.ledgerBatchOutcome("b2") == refused)
        #expect(try await store.ledgerAccounts(["receivable"]).first?.creditsPosted == 70, "a refused batch writes no transfer")
        #expect(try await store.loadLedger().check().balances)
    }
}
