import PBStoreSQLite
import PBStoreTestSuite
import Testing

/// The shared alert-store suite against SQLite, an in-memory database per check.
@Suite struct SQLiteAlertStoreTests {
    let suite = AlertStoreSuite { try SQLiteGatewayStore.inMemory() }

    @Test func deliveryLogPagesNewestFirst() async throws { try await suite.deliveryLogPagesNewestFirst() }
    @Test func deadLettersKeepTheDocument() async throws { try await suite.deadLettersKeepTheDocument() }
}
