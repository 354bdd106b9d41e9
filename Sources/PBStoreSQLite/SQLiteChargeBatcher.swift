import PBStore

/// Group commit for charges (`SQLiteWriteBatcher`): each charge reads its context, decides and writes inside its own
/// savepoint of a batch's transaction, and is answered after the commit that holds it.
typealias SQLiteChargeBatcher = SQLiteWriteBatcher

extension SQLiteWriteBatcher {
    /// The charges' batcher: grant and channel rows are written once per batch, before its commit.
    convenience init(database: SQLiteDatabase) {
        self.init(database: database, label: "pb.sqlite.charges") { (connection) throws(StoreError) in
            try SQLiteGatewayStore.writeDeferredChargeRows(in: connection)
        }
    }

    func charge(_ body: @escaping @Sendable (SQLiteConnection) throws -> ChargeDecision) async throws -> ChargeDecision {
        try await write(body)
    }
}
