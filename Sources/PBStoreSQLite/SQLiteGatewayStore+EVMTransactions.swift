import PBCore
import PBCrypto
import PBStore

/// The EVM rail's signed transactions. The primary key (chain, signer, nonce) is what guarantees, across restarts
/// and in SQL, that one nonce never signs two different transactions.
extension SQLiteGatewayStore: EVMTransactionStore {
    static let evmTransactionsMigration = """
        CREATE TABLE evm_transactions (
            chain_id INTEGER NOT NULL CHECK (chain_id > 0),
            signer TEXT NOT NULL CHECK (length(signer) = 42),
            nonce INTEGER NOT NULL CHECK (nonce >= 0),
            purpose TEXT NOT NULL CHECK (purpose <> ''),
            content_digest BLOB NOT NULL CHECK (length(content_digest) = 32),
            transaction_hash BLOB NOT NULL UNIQUE CHECK (length(transaction_hash) = 32),
            raw_transaction BLOB NOT NULL,
            created_at_ms INTEGER NOT NULL,
            PRIMARY KEY (chain_id, signer, nonce),
            UNIQUE (chain_id, signer, purpose)
        ) STRICT;
        """

    private static let evmColumns =
        "chain_id, signer, nonce, purpose, content_digest, transaction_hash, raw_transaction, created_at_ms"

    public func recordEVMTransaction(_ record: EVMTransactionRecord) async throws -> EVMTransactionRecord {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                if let existing = try Self.evmTransaction(
                    record.chainId, record.signer, purpose: record.purpose, in: database)
                {
                    return existing
                }
                let taken = try database.query(
                    "SELECT purpose FROM evm_transactions WHERE chain_id = ? AND signer = ? AND nonce = ?",
                    [.integer(Int64(record.chainId)), .text(record.signer.lowercased), .integer(Int64(record.nonce))])
                if let other = taken.first {
                    throw StoreError(
                        "nonce \(record.nonce) of \(record.signer) is already used by '\(try other.text(0))'")
                }
                try database.query(
                    "INSERT INTO evm_transactions (\(Self.evmColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        .integer(Int64(record.chainId)), .text(record.signer.lowercased), .integer(Int64(record.nonce)),
                        .text(record.purpose), .blob(record.contentDigest.bytes), .blob(record.transactionHash.bytes),
                        .blob(record.rawTransaction), .time(record.createdAt),
                    ])
                return record
            }
        }
    }

    public func evmTransaction(chainId: UInt64, signer: EthereumAddress, purpose: String) async throws
        -> EVMTransactionRecord?
    {
        try withConnection { (database) throws(StoreError) in
            try Self.evmTransaction(chainId, signer, purpose: purpose, in: database)
        }
    }

    public func highestEVMNonce(chainId: UInt64, signer: EthereumAddress) async throws -> UInt64? {
        try withConnection { (database) throws(StoreError) in
            let row = try database.query(
                "SELECT max(nonce) FROM evm_transactions WHERE chain_id = ? AND signer = ?",
                [.integer(Int64(chainId)), .text(signer.lowercased)])[0]
            return row.isNull(0) ? nil : UInt64(try row.integer(0))
        }
    }

    public func evmTransactions(chainId: UInt64, signer: EthereumAddress, fromNonce: UInt64, limit: Int) async throws
        -> [EVMTransactionRecord]
    {
        guard (1...1000).contains(limit) else { throw StoreError("limit must be in 1...1000, not \(limit)") }
        return try withConnection { (database) throws(StoreError) in
            try database.query(
                """
                SELECT \(Self.evmColumns) FROM evm_transactions WHERE chain_id = ? AND signer = ? AND nonce >= ?
                ORDER BY nonce LIMIT ?
                """,
                [.integer(Int64(chainId)), .text(signer.lowercased), .integer(Int64(fromNonce)), .integer(Int64(limit))]
            ).map { (row) throws(StoreError) in try Self.evmTransactionRecord(row) }
        }
    }

    private static func evmTransaction(
        _ chainId: UInt64, _ signer: EthereumAddress, purpose: String, in database: SQLiteConnection
    ) throws(StoreError) -> EVMTransactionRecord? {
        let rows = try database.query(
            "SELECT \(evmColumns) FROM evm_transactions WHERE chain_id = ? AND signer = ? AND purpose = ?",
            [.integer(Int64(chainId)), .text(signer.lowercased), .text(purpose)])
        guard let row = rows.first else { return nil }
        return try evmTransactionRecord(row)
    }

    private static func evmTransactionRecord(_ row: SQLiteRow) throws(StoreError) -> EVMTransactionRecord {
        let signerText = try row.text(1)
        guard let signer = try? EthereumAddress(signerText) else { throw StoreError("stored signer is not an address") }
        return EVMTransactionRecord(
            chainId: UInt64(try row.integer(0)), signer: signer, nonce: UInt64(try row.integer(2)),
            purpose: try row.text(3), contentDigest: Bytes32(unchecked: try row.blob(4)),
            transactionHash: Bytes32(unchecked: try row.blob(5)), rawTransaction: try row.blob(6),
            createdAt: try row.time(7))
    }
}
