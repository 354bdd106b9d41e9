import PBStoreSQLite
import PBStoreTestSuite
import Testing

/// The shared settlement and ledger suite against SQLite, an in-memory database per check.
@Suite struct SQLiteSettlementStoreTests {
    let suite = SettlementStoreSuite { try SQLiteGatewayStore.inMemory() }

    @Test func aSettlementMovesDueSubmittedConfirmedAndRaisesSettledOnce() async throws {
        try await suite.aSettlementMovesDueSubmittedConfirmedAndRaisesSettledOnce()
    }
    @Test func aFailedSettlementIsRetriedAfterItsDelayThenParked() async throws {
        try await suite.aFailedSettlementIsRetriedAfterItsDelayThenParked()
    }
    @Test func aConfirmationShortOfTheTargetCountsAsAFailedAttempt() async throws {
        try await suite.aConfirmationShortOfTheTargetCountsAsAFailedAttempt()
    }
    @Test func ledgerTransfersAreIdempotentBalancedAndKept() async throws {
        try await suite.ledgerTransfersAreIdempotentBalancedAndKept()
    }
    @Test func aLedgerBatchKeepsItsFirstOutcome() async throws { try await suite.aLedgerBatchKeepsItsFirstOutcome() }
}
