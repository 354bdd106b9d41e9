import PBCore
import PBMetering
import PBStore

/// Usage event and merchant event lists, and webhook delivery bookkeeping (`MeteringStore`).
extension SQLiteGatewayStore {
    public func usageEvents(sessionId: String, after cursor: String?, limit: Int) async throws -> Page<RecordedUsage> {
        let limit = ListCursor.clamp(limit)
        let start = try SQLiteMeteringRows.sequenceCursor(cursor)
        return try withConnection { (database) throws(StoreError) in
            guard let session = try Self.session(sessionId, in: database) else { return Page(items: [], nextCursor: nil) }
            let asset = session.plan.asset
            let rows = try database.query(
                """
                SELECT event_id, occurred_at_ms, quantities, dimensions, collected, sequence FROM usage_events
                WHERE session_id = ? AND sequence < ? ORDER BY sequence DESC LIMIT ?
                """, [.text(sessionId), .integer(start ?? Int64.max), .integer(Int64(limit + 1))])
            let items = try rows.prefix(limit).map { (row) throws(StoreError) in
                let usage = ReportedUsage(
                    id: try row.text(0), at: try row.time(1), quantities: try SQLiteMeteringRows.quantities(try row.text(2)),
                    dimensions: try SQLiteMeteringRows.dimensions(row, 3))
                return RecordedUsage(
                    sessionId: sessionId, usage: usage, collected: Amount(baseUnits: try row.amount(4), asset: asset))
            }
            let last = try rows.prefix(limit).last.map { (row) throws(StoreError) in try row.integer(5) }
            return Page(items: items, nextCursor: rows.count > limit ? last.map(String.init) : nil)
        }
    }

    public func meteringEvents(accountId: String?, sessionId: String?, after cursor: String?, limit: Int) async throws
        -> Page<MeteringEvent>
    {
        let limit = ListCursor.clamp(limit)
        var conditions = ["e.sequence < ?"]
        var values: [SQLiteValue] = [.integer(try SQLiteMeteringRows.sequenceCursor(cursor) ?? Int64.max)]
        if let accountId {
            conditions.append("e.account_id = ?")
            values.append(.text(accountId))
        }
        if let sessionId {
            conditions.append("e.session_id = ?")
            values.append(.text(sessionId))
        }
        let sql = """
            SELECT \(SQLiteMeteringRows.eventColumns) FROM metering_events e JOIN metering_accounts a USING (account_id)
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY e.sequence DESC LIMIT ?
            """
        return try withConnection { (database) throws(StoreError) in
            let rows = try database.query(sql, values + [.integer(Int64(limit + 1))])
            let events = try rows.prefix(limit).map { (row) throws(StoreError) in try SQLiteMeteringRows.event(row) }
            return Page(items: events, nextCursor: rows.count > limit ? events.last.map { String($0.sequence) } : nil)
        }
    }

    public func pendingEvents(dueAt time: UnixTime, limit: Int) async throws -> [PendingEvent] {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                """
                SELECT \(SQLiteMeteringRows.eventColumns) FROM metering_events e JOIN metering_accounts a USING (account_id)
                WHERE e.delivery = 'pending' AND e.next_attempt_at_ms <= ? ORDER BY e.next_attempt_at_ms, e.sequence LIMIT ?
                """, [.time(time), .integer(Int64(ListCursor.clamp(limit)))]
            ).map { (row) throws(StoreError) in
                PendingEvent(event: try SQLiteMeteringRows.event(row), attempts: Int(try row.integer(9)))
            }
        }
    }

    public func recordDelivery(of sequence: Int64, attempts: Int, outcome: DeliveryOutcome) async throws {
        let (delivery, nextAttempt): (String, SQLiteValue) =
            switch outcome {
            case .delivered: ("delivered", .null)
            case .retry(let time): ("pending", .time(time))
            case .failed: ("failed", .null)
            }
        try withConnection { (database) throws(StoreError) in
            try database.query(
                "UPDATE metering_events SET delivery = ?, attempts = ?, next_attempt_at_ms = ? WHERE sequence = ?",
                [.text(delivery), .integer(Int64(attempts)), nextAttempt, .integer(sequence)])
        }
    }
}
