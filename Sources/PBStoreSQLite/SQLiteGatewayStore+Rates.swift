import Foundation
import PBCore
import PBPricing
import PBStore

/// The oracle's rates: one row per (service, rate id), the rate in its JSON config form.
extension SQLiteGatewayStore {
    public func upsertRate(_ rate: RateRecord) async throws -> Bool {
        let document = String(decoding: try JSONEncoder().encode(rate.override), as: UTF8.self)
        return try withConnection { (database) throws(StoreError) in
            let existed = !(try database.query(
                "SELECT 1 FROM rate_overrides WHERE service_id = ? AND rate_id = ?", [.text(rate.serviceId), .text(rate.id)]
            ).isEmpty)
            // A push with a known id replaces the rate but keeps when it was first pushed.
            try database.query(
                """
                INSERT INTO rate_overrides (service_id, rate_id, document, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (service_id, rate_id) DO UPDATE SET document = excluded.document,
                    updated_at_ms = excluded.updated_at_ms
                """,
                [.text(rate.serviceId), .text(rate.id), .text(document), .time(rate.createdAt), .time(rate.updatedAt)])
            return !existed
        }
    }

    public func rates(serviceId: String?) async throws -> [RateRecord] {
        let columns = "service_id, document, created_at_ms, updated_at_ms"
        let rows = try withConnection { (database) throws(StoreError) in
            let rows: [SQLiteRow]
            if let serviceId {
                rows = try database.query(
                    "SELECT \(columns) FROM rate_overrides WHERE service_id = ? ORDER BY created_at_ms, rate_id",
                    [.text(serviceId)])
            } else {
                rows = try database.query("SELECT \(columns) FROM rate_overrides ORDER BY service_id, created_at_ms, rate_id")
            }
            return try rows.map { (row) throws(StoreError) in
                (try row.text(0), try row.text(1), try row.time(2), try row.time(3))
            }
        }
        return try rows.map { row in
            RateRecord(
                serviceId: row.0, override: try JSONDecoder().decode(RateOverrideConfig.self, from: Data(row.1.utf8)),
                createdAt: row.2, updatedAt: row.3)
        }
    }

    public func deleteRate(serviceId: String, id: String) async throws -> Bool {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                "DELETE FROM rate_overrides WHERE service_id = ? AND rate_id = ?", [.text(serviceId), .text(id)])
            return database.changes > 0
        }
    }
}
