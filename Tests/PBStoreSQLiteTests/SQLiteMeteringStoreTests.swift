import PBStoreSQLite
import PBStoreTestSuite
import Testing

/// The shared metering suite against SQLite, an in-memory database per check.
@Suite struct SQLiteMeteringStoreTests {
    let suite = MeteringStoreSuite { try SQLiteGatewayStore.inMemory() }

    @Test func topUpsAreIdempotentById() async throws { try await suite.topUpsAreIdempotentById() }
    @Test func debitsAndChargesMoveTogether() async throws { try await suite.debitsAndChargesMoveTogether() }
    @Test func usageEventsAreIdempotentById() async throws { try await suite.usageEventsAreIdempotentById() }
    @Test func aFailingUpdateWritesNothing() async throws { try await suite.aFailingUpdateWritesNothing() }
    @Test func dueSessionsEventsAndDeliveries() async throws { try await suite.dueSessionsEventsAndDeliveries() }
    @Test func sessionsSharingABalanceAreDueWhenItRunsOut() async throws {
        try await suite.sessionsSharingABalanceAreDueWhenItRunsOut()
    }
}
