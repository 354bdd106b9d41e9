import PBCore
import PBStore

/// The alert dispatcher's delivery log and dead-letter list (`AlertStore`). Both are append-only; pages run newest
/// first by the row's sequence, which is also the cursor.
extension SQLiteGatewayStore {
    public func recordAlertAttempt(_ attempt: AlertDeliveryAttempt) async throws -> AlertDeliveryRecord {
        try withConnection { (database) throws(StoreError) in
            let rows = try database.query(
                """
                INSERT INTO alert_deliveries (alert_id, channel, attempt, outcome, detail, kind, severity, subject, at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING sequence
                """,
                [
                    .text(attempt.alertId), .text(attempt.channel), .integer(Int64(attempt.attempt)),
                    .text(attempt.outcome.rawValue), .text(attempt.detail), .text(attempt.kind), .text(attempt.severity),
                    .text(attempt.subject), .time(attempt.at),
                ])
            return AlertDeliveryRecord(sequence: try rows[0].integer(0), value: attempt)
        }
    }

    public func alertDeliveries(alertId: String?, after cursor: String?, limit: Int) async throws
        -> Page<AlertDeliveryRecord>
    {
        let limit = ListCursor.clamp(limit)
        var conditions = ["sequence < ?"]
        var values: [SQLiteValue] = [.integer(try SQLiteMeteringRows.sequenceCursor(cursor) ?? Int64.max)]
        if let alertId {
            conditions.append("alert_id = ?")
            values.append(.text(alertId))
        }
        let sql = """
            SELECT sequence, alert_id, channel, attempt, outcome, detail, kind, severity, subject, at_ms
            FROM alert_deliveries WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence DESC LIMIT ?
            """
        return try withConnection { (database) throws(StoreError) in
            let rows = try database.query(sql, values + [.integer(Int64(limit + 1))])
            let records = try rows.prefix(limit).map { (row) throws(StoreError) in
                guard let outcome = AlertAttemptOutcome(rawValue: try row.text(4)) else {
                    throw StoreError("stored alert delivery has an unknown outcome")
                }
                let attempt = AlertDeliveryAttempt(
                    alertId: try row.text(1), channel: try row.text(2), attempt: Int(try row.integer(3)),
                    outcome: outcome, detail: try row.text(5), kind: try row.text(6), severity: try row.text(7),
                    subject: try row.text(8), at: try row.time(9))
                return AlertDeliveryRecord(sequence: try row.integer(0), value: attempt)
            }
            return Page(items: records, nextCursor: rows.count > limit ? records.last.map { String($0.sequence) } : nil)
        }
    }

    public func addAlertDeadLetter(_ letter: AlertDeadLetter) async throws -> AlertDeadLetterRecord {
        try withConnection { (database) throws(StoreError) in
            let rows = try database.query(
                """
                INSERT INTO alert_dead_letters (alert_id, channel, attempts, last_error, document, at_ms)
                VALUES (?, ?, ?, ?, ?, ?) RETURNING sequence
                """,
                [
                    .text(letter.alertId), .text(letter.channel), .integer(Int64(letter.attempts)),
                    .text(letter.lastError), .text(letter.document), .time(letter.at),
                ])
            return AlertDeadLetterRecord(sequence: try rows[0].integer(0), value: letter)
        }
    }

    public func alertDeadLetters(after cursor: String?, limit: Int) async throws -> Page<AlertDeadLetterRecord> {
        let limit = ListCursor.clamp(limit)
        let start = try SQLiteMeteringRows.sequenceCursor(cursor) ?? Int64.max
        return try withConnection { (database) throws(StoreError) in
            let rows = try database.query(
                """
                SELECT sequence, alert_id, channel, attempts, last_error, document, at_ms FROM alert_dead_letters
                WHERE sequence < ? ORDER BY sequence DESC LIMIT ?
                """, [.integer(start), .integer(Int64(limit + 1))])
            let records = try rows.prefix(limit).map { (row) throws(StoreError) in
                let letter = AlertDeadLetter(
                    alertId: try row.text(1), channel: try row.text(2), attempts: Int(try row.integer(3)),
                    lastError: try row.text(4), document: try row.text(5), at: try row.time(6))
                return AlertDeadLetterRecord(sequence: try row.integer(0), value: letter)
            }
            return Page(items: records, nextCursor: rows.count > limit ? records.last.map { String($0.sequence) } : nil)
        }
    }
}
