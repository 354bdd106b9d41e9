import PBCore
import PBLedger
import PBSettlement
import PBStore

/// The embedded default rail: settles batches on the double-entry ledger kept in the gateway's own store
/// (docs/SETTLEMENT.md). Preparing builds nothing to send; broadcasting posts the batch as one linked ledger
/// transaction, written with its outcome, so a second broadcast of the same batch answers the stored outcome and
/// moves nothing; the amounts come from the ledger's own per-channel receivable, so no claim pays twice.
public struct LedgerSettlementRail: SettlementRail {
    public let store: any LedgerStore
    public let book: SettlementLedgerBook
    public let maximumClaimsPerBatch: Int
    public let clock: any WallClock

    public var name: String { "ledger" }

    public init(
        store: any LedgerStore, book: SettlementLedgerBook, maximumClaimsPerBatch: Int = 128,
        clock: any WallClock = SystemWallClock()
    ) {
        precondition(maximumClaimsPerBatch >= 1, "a batch holds at least one claim")
        self.store = store
        self.book = book
        self.maximumClaimsPerBatch = maximumClaimsPerBatch
        self.clock = clock
    }

    public struct InvalidClaim: Error, CustomStringConvertible {
        public let description: String
    }

    /// Checks that every claim is one the grant allows; the reference is the ledger batch.
    public func prepare(_ batch: SettlementBatch) async throws -> PreparedSettlement {
        guard batch.claims.count <= maximumClaimsPerBatch else {
            throw InvalidClaim(description: "\(batch.claims.count) claims, at most \(maximumClaimsPerBatch) per batch")
        }
        for claim in batch.claims {
            guard claim.voucher.message.grantId == claim.grant.digest else {
                throw InvalidClaim(description: "a voucher of another grant is claimed under \(claim.grantId.hex)")
            }
            guard claim.grant.message.payees.isEmpty || claim.grant.message.payees.contains(claim.payee) else {
                throw InvalidClaim(description: "payee \(claim.payee.lowercased) is not allowed by the grant")
            }
        }
        return PreparedSettlement(batchId: batch.batchId, reference: "ledger:\(batch.batchId)", payload: [])
    }

    public func broadcast(_ prepared: PreparedSettlement, of batch: SettlementBatch) async throws {
        let timestamp = clock.now.seconds
        _ = try await store.settleOnLedger(
            batchId: batch.batchId, accountIds: book.accounts(for: batch).map(\.id),
            transferIds: book.transferIds(for: batch)
        ) { [book] ledger in
            switch book.settle(batch, on: &ledger, at: timestamp) {
            case .success(let amounts): .posted(settledCumulativeAmounts: amounts)
            case .failure(let rejection): .rejected(reason: rejection.rawValue)
            }
        }
    }

    public func status(of prepared: PreparedSettlement, of batch: SettlementBatch) async throws -> SettlementStatus {
        switch try await store.ledgerBatchOutcome(batch.batchId) {
        case nil: .pending
        case .posted(let amounts): .confirmed(settledCumulativeAmounts: amounts)
        case .rejected(let reason): .failed(reason: reason)
        }
    }
}
