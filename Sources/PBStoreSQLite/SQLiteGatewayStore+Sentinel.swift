import Foundation
import PBCore
import PBCrypto
import PBSentinel
import PBStore

/// Sentinel's event log and documents (`SentinelStore`). Subjects are stored as lower-case hex with their kind, so
/// a key and an owner never collide and the list filters on an index.
extension SQLiteGatewayStore {
    public func appendSentinelEvents(_ events: [SentinelEvent]) async throws {
        guard !events.isEmpty else { return }
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                for event in events {
                    let (kind, subject) = Self.subjectColumns(event.subject)
                    try database.query(
                        """
                        INSERT INTO sentinel_events
                            (subject_kind, subject, kind, severity, rule_id, action, details, occurred_at_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        [
                            .text(kind), .text(subject), .text(event.kind.rawValue), .text(event.severity.rawValue),
                            .optionalText(event.ruleID), .optionalText(event.action?.rawValue), .text(event.details),
                            .time(event.time),
                        ])
                }
            }
        }
    }

    public func sentinelEvents(subject: SentinelSubject?, after cursor: String?, limit: Int) async throws
        -> Page<StoredSentinelEvent>
    {
        let limit = ListCursor.clamp(limit)
        var start = Int64.max
        if let cursor {
            guard let value = Int64(cursor), value > 0 else { throw StoreError("cursor '\(cursor.prefix(40))' is not a cursor of this list") }
            start = value
        }
        var conditions = ["sequence < ?"]
        var values: [SQLiteValue] = [.integer(start)]
        if let subject {
            let (kind, text) = Self.subjectColumns(subject)
            conditions += ["subject = ?", "subject_kind = ?"]
            values += [.text(text), .text(kind)]
        }
        let sql = """
            SELECT sequence, subject_kind, subject, kind, severity, rule_id, action, details, occurred_at_ms
            FROM sentinel_events WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence DESC LIMIT ?
            """
        return try withConnection { (database) throws(StoreError) in
            let rows = try database.query(sql, values + [.integer(Int64(limit + 1))])
            let items = try rows.prefix(limit).map { (row) throws(StoreError) in try Self.storedEvent(row) }
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { String($0.sequence) } : nil)
        }
    }

    public func saveRiskSnapshot(_ snapshot: RiskEngineSnapshot, at time: UnixTime) async throws {
        try saveSentinelDocument("snapshot", try JSONEncoder().encode(snapshot), at: time)
    }

    public func riskSnapshot() async throws -> RiskEngineSnapshot? {
        try sentinelDocument("snapshot").map { try JSONDecoder().decode(RiskEngineSnapshot.self, from: $0) }
    }

    public func saveSentinelPolicy(_ policy: SentinelPolicyConfig, at time: UnixTime) async throws {
        try saveSentinelDocument("policy", try JSONEncoder().encode(policy), at: time)
    }

    public func sentinelPolicy() async throws -> SentinelPolicyConfig? {
        try sentinelDocument("policy").map { try JSONDecoder().decode(SentinelPolicyConfig.self, from: $0) }
    }

    private func saveSentinelDocument(_ name: String, _ document: Data, at time: UnixTime) throws {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                """
                INSERT INTO sentinel_documents (name, document, updated_at_ms) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET document = excluded.document, updated_at_ms = excluded.updated_at_ms
                """,
                [.text(name), .blob([UInt8](document)), .time(time)])
        }
    }

    private func sentinelDocument(_ name: String) throws -> Data? {
        try withConnection { (database) throws(StoreError) in
            try database.query("SELECT document FROM sentinel_documents WHERE name = ?", [.text(name)])
                .first.map { (row) throws(StoreError) in Data(try row.blob(0)) }
        }
    }

    private static func subjectColumns(_ subject: SentinelSubject) -> (kind: String, subject: String) {
        switch subject {
        case .key(let id): ("key", id.hex)
        case .owner(let owner): ("owner", Hex.encode(owner.bytes))
        }
    }

    private static func storedEvent(_ row: SQLiteRow) throws(StoreError) -> StoredSentinelEvent {
        let subjectText = try row.text(2)
        let subject: SentinelSubject
        if try row.text(1) == "key", let id = try? Bytes32(hex: subjectText) {
            subject = .key(id)
        } else if let bytes = try? Hex.decode(subjectText), let owner = try? EthereumAddress(bytes: bytes) {
            subject = .owner(owner)
        } else {
            throw StoreError("stored Sentinel event has a damaged subject")
        }
        guard let kind = SentinelEvent.Kind(rawValue: try row.text(3)), let severity = Severity(rawValue: try row.text(4))
        else { throw StoreError("stored Sentinel event has an unknown kind or severity") }
        var ruleID: String?, action: RuleAction?
        if !row.isNull(5) { ruleID = try row.text(5) }
        if !row.isNull(6) { action = RuleAction(rawValue: try row.text(6)) }
        let event = SentinelEvent(
            subject: subject, kind: kind, severity: severity, ruleID: ruleID, action: action,
            details: try row.text(7), time: try row.time(8))
        return StoredSentinelEvent(sequence: try row.integer(0), event: event)
    }
}
