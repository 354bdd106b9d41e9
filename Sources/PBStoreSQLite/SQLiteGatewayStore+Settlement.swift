import PBCore
import PBCrypto
import PBProtocol
import PBSettlement
import PBStore

/// Settlements and channels' settled amounts; every transition is one transaction.
extension SQLiteGatewayStore {
    /// `left > right` for canonical decimal TEXT amounts: longer is larger, same length compares as text.
    static func amountGreater(_ left: String, _ right: String) -> String {
        "(length(\(left)) > length(\(right)) OR (length(\(left)) = length(\(right)) AND \(left) > \(right)))"
    }

    public func settlementCandidates(at time: UnixTime, limit: Int) async throws -> [SettlementCandidate] {
        let limit = min(max(limit, 1), 1_000)
        return try withConnection { (database) throws(StoreError) in
            let settled = "coalesce(s.settled, '0')"
            let rows = try database.query(
                """
                SELECT c.grant_id, c.payee, \(settled), coalesce(s.failed_attempts, 0), coalesce(s.settled_cut_at_ms, 0)
                FROM channels c LEFT JOIN settlement_channels s ON s.grant_id = c.grant_id AND s.payee = c.payee
                WHERE c.latest_voucher IS NOT NULL AND \(Self.amountGreater("c.charged", settled))
                    AND s.open_batch_id IS NULL AND coalesce(s.parked, 0) = 0
                    AND (s.retry_at_ms IS NULL OR s.retry_at_ms <= ?)
                ORDER BY c.grant_id, c.payee LIMIT ?
                """, [.time(time), .integer(Int64(limit))])
            var candidates: [SettlementCandidate] = []
            for row in rows {
                let key = ChannelKey(grantId: try row.bytes32(0), payee: try row.address(1))
                guard let grant = try Self.grant(key.grantId, in: database),
                    let channel = try Self.channel(key, in: database)
                else { throw StoreError("channel \(key) has no grant") }
                let settledAmount = try row.amount(2)
                // The oldest charge beyond what is settled, among charges after the last settlement's cut.
                let oldest = try database.query(
                    """
                    SELECT created_at_ms FROM payments
                    WHERE grant_id = ? AND payee = ? AND status IN ('charged', 'held') AND created_at_ms >= ?
                        AND \(Self.amountGreater("charged_cumulative_amount", "?"))
                    ORDER BY created_at_ms LIMIT 1
                    """,
                    [.bytes32(key.grantId), .address(key.payee), .integer(try row.integer(4))]
                        // The comparison names the settled amount three times.
                        + [SQLiteValue](repeating: .amount(settledAmount), count: 3)
                ).first.map { (row) throws(StoreError) in try row.time(0) }
                candidates.append(
                    SettlementCandidate(
                        grant: grant, channel: channel, settledCumulativeAmount: settledAmount,
                        oldestUnsettledChargeAt: oldest, failedAttempts: Int(try row.integer(3))))
            }
            return candidates
        }
    }

    public func channelSettlementStates(after cursor: ChannelKey?, limit: Int) async throws -> [ChannelSettlementState] {
        let limit = min(max(limit, 1), 1_000)
        let after: [SQLiteValue] = cursor.map { [.bytes32($0.grantId), .address($0.payee)] } ?? [.blob([]), .text("")]
        return try withConnection { (database) throws(StoreError) in
            try database.query(
                """
                SELECT c.grant_id, c.payee, c.charged, coalesce(s.settled, '0'), s.open_batch_id
                FROM channels c LEFT JOIN settlement_channels s ON s.grant_id = c.grant_id AND s.payee = c.payee
                WHERE (c.grant_id, c.payee) > (?, ?) ORDER BY c.grant_id, c.payee LIMIT ?
                """, after + [.integer(Int64(limit))]
            ).map { (row) throws(StoreError) in
                ChannelSettlementState(
                    channel: ChannelKey(grantId: try row.bytes32(0), payee: try row.address(1)),
                    chargedCumulativeAmount: try row.amount(2), settledCumulativeAmount: try row.amount(3),
                    openBatchId: try row.optionalText(4))
            }
        }
    }

    public func settledCumulativeAmount(_ channel: ChannelKey) async throws -> UInt128 {
        try withConnection { (database) throws(StoreError) in try Self.settled(channel, in: database) ?? 0 }
    }

    static func settled(_ channel: ChannelKey, in database: SQLiteConnection) throws(StoreError) -> UInt128? {
        try database.query(
            "SELECT settled FROM settlement_channels WHERE grant_id = ? AND payee = ?",
            [.bytes32(channel.grantId), .address(channel.payee)]
        ).first.map { (row) throws(StoreError) in try row.amount(0) }
    }

    public func createSettlement(_ record: SettlementRecord) async throws {
        guard record.state == .due, record.prepared == nil, !record.claims.isEmpty else {
            throw StoreError("a new settlement is due, unprepared and has claims")
        }
        var total: UInt128 = 0
        for claim in record.claims { total = try Self.add(total, claim.amountDue) }
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                try database.query(
                    """
                    INSERT INTO settlements (batch_id, rail, state, reasons, attempt, total, created_at_ms, updated_at_ms)
                    VALUES (?, ?, 'due', ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(record.batchId), .text(record.rail),
                        .text(record.reasons.map(\.rawValue).joined(separator: ",")), .integer(Int64(record.attempt)),
                        .amount(total), .time(record.createdAt), .time(record.updatedAt),
                    ])
                for (position, claim) in record.claims.enumerated() {
                    let key = claim.channel
                    // Claims start from the stored settled amount: a claim cut from a stale view is refused.
                    guard (try Self.settled(key, in: database) ?? 0) == claim.settledCumulativeAmount else {
                        throw StoreError("channel \(key) was settled since its claim was cut")
                    }
                    try database.query(
                        """
                        INSERT INTO settlement_channels (grant_id, payee, settled, open_batch_id, failed_attempts,
                            retry_at_ms, parked, settled_cut_at_ms, updated_at_ms)
                        VALUES (?, ?, '0', ?, 0, NULL, 0, 0, ?)
                        ON CONFLICT (grant_id, payee) DO UPDATE SET open_batch_id = excluded.open_batch_id,
                            updated_at_ms = excluded.updated_at_ms
                        WHERE settlement_channels.open_batch_id IS NULL
                        """, [.bytes32(key.grantId), .address(key.payee), .text(record.batchId), .time(record.createdAt)])
                    guard database.changes == 1 else {
                        throw StoreError("channel \(key) is already in an open settlement")
                    }
                    try database.query(
                        """
                        INSERT INTO settlement_claims (batch_id, position, grant_id, payee, voucher, charged,
                            settled_before, target, confirmed)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
                        """,
                        [
                            .text(record.batchId), .integer(Int64(position)), .bytes32(key.grantId),
                            .address(key.payee), .text(claim.voucher.documentJSON.serialized()),
                            .amount(claim.chargedCumulativeAmount), .amount(claim.settledCumulativeAmount),
                            .amount(claim.targetCumulativeAmount),
                        ])
                }
            }
        }
    }

    public func recordPrepared(_ prepared: PreparedSettlement, at time: UnixTime) async throws -> SettlementRecord {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> SettlementRecord in
                try database.query(
                    """
                    UPDATE settlements SET state = 'submitted', prepared_reference = ?, prepared_payload = ?,
                        updated_at_ms = ?
                    WHERE batch_id = ? AND state = 'due'
                    """, [.text(prepared.reference), .blob(prepared.payload), .time(time), .text(prepared.batchId)])
                guard database.changes == 1 else {
                    throw StoreError("settlement \(prepared.batchId) is not due: it cannot be prepared again")
                }
                return try Self.requireSettlement(prepared.batchId, in: database)
            }
        }
    }

    public func confirmSettlement(
        _ batchId: String, settledCumulativeAmounts: [UInt128], at time: UnixTime,
        retryAt: @Sendable (Int) -> UnixTime?
    ) async throws -> SettlementRecord {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> SettlementRecord in
                let record = try Self.requireSettlement(batchId, in: database)
                if record.state == .confirmed { return record }
                guard record.state == .submitted else {
                    throw StoreError("settlement \(batchId) is \(record.state.rawValue), not submitted")
                }
                guard settledCumulativeAmounts.count == record.claims.count else {
                    throw StoreError("settlement \(batchId) has \(record.claims.count) claims, confirmed with a different count")
                }
                for (position, claim) in record.claims.enumerated() {
                    let reported = settledCumulativeAmounts[position]
                    let key = claim.channel
                    let previous = try Self.settled(key, in: database) ?? 0
                    // A rail never pays above the claim's target; more would mean the rail and the store disagree.
                    guard reported <= max(claim.targetCumulativeAmount, previous) else {
                        throw StoreError("rail reports \(reported) settled on \(key), above the target")
                    }
                    let fellShort = reported < claim.targetCumulativeAmount
                    let attempts = fellShort ? try Self.failedAttempts(key, in: database) + 1 : 0
                    let retry = fellShort ? retryAt(attempts) : nil
                    try database.query(
                        """
                        UPDATE settlement_channels SET settled = ?, open_batch_id = NULL, failed_attempts = ?,
                            retry_at_ms = ?, parked = ?, settled_cut_at_ms = ?, updated_at_ms = ?
                        WHERE grant_id = ? AND payee = ? AND open_batch_id = ?
                        """,
                        [
                            .amount(max(previous, reported)), .integer(Int64(attempts)),
                            retry.map { .time($0) } ?? .null, .integer(fellShort && retry == nil ? 1 : 0),
                            .time(record.createdAt), .time(time), .bytes32(key.grantId), .address(key.payee),
                            .text(batchId),
                        ])
                    guard database.changes == 1 else { throw StoreError("channel \(key) is not in settlement \(batchId)") }
                    try database.query(
                        "UPDATE settlement_claims SET confirmed = ? WHERE batch_id = ? AND position = ?",
                        [.amount(reported), .text(batchId), .integer(Int64(position))])
                }
                try database.query(
                    "UPDATE settlements SET state = 'confirmed', updated_at_ms = ? WHERE batch_id = ?",
                    [.time(time), .text(batchId)])
                return try Self.requireSettlement(batchId, in: database)
            }
        }
    }

    public func failSettlement(
        _ batchId: String, reason: String, at time: UnixTime, retryAt: @Sendable (Int) -> UnixTime?
    ) async throws -> SettlementRecord {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> SettlementRecord in
                let record = try Self.requireSettlement(batchId, in: database)
                if record.state == .failed { return record }
                guard record.state.isOpen else { throw StoreError("settlement \(batchId) is already confirmed") }
                for claim in record.claims {
                    let attempts = try Self.failedAttempts(claim.channel, in: database) + 1
                    let retry = retryAt(attempts)
                    try database.query(
                        """
                        UPDATE settlement_channels SET open_batch_id = NULL, failed_attempts = ?, retry_at_ms = ?,
                            parked = ?, updated_at_ms = ?
                        WHERE grant_id = ? AND payee = ? AND open_batch_id = ?
                        """,
                        [
                            .integer(Int64(attempts)), retry.map { .time($0) } ?? .null, .integer(retry == nil ? 1 : 0),
                            .time(time), .bytes32(claim.channel.grantId), .address(claim.channel.payee), .text(batchId),
                        ])
                }
                try database.query(
                    "UPDATE settlements SET state = 'failed', failure_reason = ?, updated_at_ms = ? WHERE batch_id = ?",
                    [.text(String(reason.prefix(500))), .time(time), .text(batchId)])
                return try Self.requireSettlement(batchId, in: database)
            }
        }
    }

    public func settlement(_ batchId: String) async throws -> SettlementRecord? {
        try withConnection { (database) throws(StoreError) in try Self.settlement(batchId, in: database) }
    }

    public func settlements(in states: Set<SettlementState>, limit: Int) async throws -> [SettlementRecord] {
        let limit = ListCursor.clamp(limit)
        let names = states.map(\.rawValue).sorted()
        guard !names.isEmpty else { return [] }
        let marks = names.map { _ in "?" }.joined(separator: ", ")
        return try withConnection { (database) throws(StoreError) in
            let ids = try database.query(
                "SELECT batch_id FROM settlements WHERE state IN (\(marks)) ORDER BY created_at_ms, batch_id LIMIT ?",
                names.map { .text($0) } + [.integer(Int64(limit))])
            return try ids.map { (row) throws(StoreError) in try Self.requireSettlement(try row.text(0), in: database) }
        }
    }

    private static func failedAttempts(_ channel: ChannelKey, in database: SQLiteConnection) throws(StoreError) -> Int {
        Int(
            try database.query(
                "SELECT failed_attempts FROM settlement_channels WHERE grant_id = ? AND payee = ?",
                [.bytes32(channel.grantId), .address(channel.payee)]
            ).first?.integer(0) ?? 0)
    }

    private static func requireSettlement(_ batchId: String, in database: SQLiteConnection) throws(StoreError)
        -> SettlementRecord
    {
        guard let record = try settlement(batchId, in: database) else { throw StoreError("no settlement \(batchId)") }
        return record
    }

    static func settlement(_ batchId: String, in database: SQLiteConnection) throws(StoreError) -> SettlementRecord? {
        guard
            let row = try database.query(
                """
                SELECT rail, state, reasons, prepared_reference, prepared_payload, attempt, failure_reason,
                    created_at_ms, updated_at_ms
                FROM settlements WHERE batch_id = ?
                """, [.text(batchId)]
            ).first
        else { return nil }
        guard let state = SettlementState(rawValue: try row.text(1)) else { throw StoreError("stored state unknown") }
        let reasons = try row.text(2).split(separator: ",").map { (name) throws(StoreError) in
            guard let reason = SettlementDueReason(rawValue: String(name)) else { throw StoreError("stored reason unknown") }
            return reason
        }
        let claimRows = try database.query(
            """
            SELECT grant_id, voucher, charged, settled_before, target, confirmed FROM settlement_claims
            WHERE batch_id = ? ORDER BY position
            """, [.text(batchId)])
        var claims: [StoredSettlementClaim] = []
        for claimRow in claimRows {
            let grantId = try claimRow.bytes32(0)
            guard case .voucher(let voucher) = try claimRow.document(1) else {
                throw StoreError("stored claim voucher is not a voucher")
            }
            guard let grant = try Self.grant(grantId, in: database) else { throw StoreError("claim on unknown grant") }
            let claim = SettlementClaim(
                grant: grant.signed, voucher: voucher, chargedCumulativeAmount: try claimRow.amount(2),
                settledCumulativeAmount: try claimRow.amount(3))
            guard claim.targetCumulativeAmount == (try claimRow.amount(4)) else {
                throw StoreError("stored claim target does not match its voucher and charged amount")
            }
            claims.append(
                StoredSettlementClaim(claim, confirmedCumulativeAmount: claimRow.isNull(5) ? nil : try claimRow.amount(5)))
        }
        let prepared = try row.optionalText(3).map { (reference) throws(StoreError) in
            PreparedSettlement(batchId: batchId, reference: reference, payload: row.isNull(4) ? [] : try row.blob(4))
        }
        return SettlementRecord(
            batchId: batchId, rail: try row.text(0), state: state, reasons: reasons, claims: claims, prepared: prepared,
            attempt: Int(try row.integer(5)), failureReason: try row.optionalText(6), createdAt: try row.time(7),
            updatedAt: try row.time(8))
    }
}
