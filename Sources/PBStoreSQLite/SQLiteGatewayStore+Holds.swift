import Foundation
import PBCore
import PBCrypto
import PBProtocol
import PBStore

/// Authorize-then-capture: holds are written with their payment by the charge transaction; here they are read,
/// captured (releasing the rest of the hold exactly) and released when they expire.
extension SQLiteGatewayStore {
    private static let holdColumns = """
        receipt_id, amount, terms, expires_at_ms, captured_amount, captured_usage, captured_breakdown, over_hold,
        captured_at_ms, released_at_ms
        """

    public func hold(_ receiptId: Bytes32) async throws -> PaymentHold? {
        try withConnection { (database) throws(StoreError) in try Self.hold(receiptId, in: database) }
    }

    public func captureHold(
        _ receiptId: Bytes32, at time: UnixTime, decide: @escaping @Sendable (CaptureContext) -> CaptureDecision
    ) async throws -> CaptureOutcome {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> CaptureOutcome in
                guard let payment = try Self.payment(receiptId, in: database),
                    let hold = try Self.hold(receiptId, in: database)
                else { return .notHeld(try Self.payment(receiptId, in: database)) }
                if hold.capture != nil, payment.status == .charged { return .alreadyCaptured(payment, hold) }
                guard payment.status == .held else { return .notHeld(payment) }
                guard time < hold.expiresAt else { return .expired(payment, hold) }
                guard let grant = try Self.grant(payment.grantId, in: database),
                    let channel = try Self.channel(payment.channel, in: database)
                else { throw StoreError("held payment \(receiptId.hex) has no grant or channel") }
                let carrier = try database.query(
                    "SELECT carrier FROM channel_carriers WHERE grant_id = ? AND payee = ?",
                    [.bytes32(channel.key.grantId), .address(channel.key.payee)]
                ).first.map { (row) throws(StoreError) in try row.text(0) }
                let context = CaptureContext(
                    payment: payment, hold: hold, grant: grant, channel: channel, carrierJSON: carrier)
                switch decide(context) {
                case .refuse(let message):
                    return .refused(message)
                case .capture(let mutation):
                    try Self.apply(mutation, to: context, at: time, in: database)
                    var captured = hold
                    captured.capture = mutation.capture
                    return .captured(mutation.payment, captured)
                }
            }
        }
    }

    public func expiredHolds(at time: UnixTime, limit: Int) async throws -> [Bytes32] {
        try withConnection { (database) throws(StoreError) in
            try database.query(
                """
                SELECT h.receipt_id FROM payment_holds h JOIN payments p ON p.receipt_id = h.receipt_id
                WHERE h.captured_at_ms IS NULL AND h.released_at_ms IS NULL AND h.expires_at_ms <= ?
                    AND p.status = 'held'
                ORDER BY h.expires_at_ms LIMIT ?
                """, [.time(time), .integer(Int64(max(limit, 0)))]
            ).map { (row) throws(StoreError) in try row.bytes32(0) }
        }
    }

    public func releaseExpiredHold(_ receiptId: Bytes32, at time: UnixTime) async throws -> PaymentRecord? {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> PaymentRecord? in
                guard let payment = try Self.payment(receiptId, in: database), payment.status == .held,
                    let hold = try Self.hold(receiptId, in: database), hold.expiresAt <= time
                else { return nil }
                return try Self.void(payment, at: time, in: database)
            }
        }
    }

    // MARK: Inside transactions

    /// Writes a capture after checking that it balances: the captured amount is at most the hold, and exactly the
    /// released rest comes off the grant's spent and the channel's charged amounts, as the new receipt says.
    private static func apply(
        _ mutation: CaptureMutation, to context: CaptureContext, at time: UnixTime, in database: SQLiteConnection
    ) throws(StoreError) {
        let payment = mutation.payment, hold = context.hold
        guard payment.receiptId == hold.receiptId, payment.status == .charged, payment.amount == mutation.capture.amount
        else { throw StoreError("capture mutation is for another payment or not a charge of the captured amount") }
        guard mutation.capture.amount <= hold.amount else {
            throw StoreError("capture of \(mutation.capture.amount) exceeds the hold of \(hold.amount)")
        }
        let released = hold.amount - mutation.capture.amount
        let grant = context.grant, channel = context.channel
        guard grant.spent >= released, channel.chargedCumulativeAmount >= released else {
            throw StoreError("releasing \(released) would take an amount below zero")
        }
        let receipt = payment.receipt
        guard receipt.chargedCumulativeAmount == channel.chargedCumulativeAmount - released,
            receipt.remainingLimit == grant.grant.totalLimit - (grant.spent - released)
        else { throw StoreError("capture receipt does not match the channel and grant after the release") }
        try database.query(
            """
            UPDATE payments SET amount = ?, charged_cumulative_amount = ?, remaining_limit = ?, issued_at = ?,
                status = 'charged', updated_at_ms = ?
            WHERE receipt_id = ? AND status = 'held'
            """,
            [
                .amount(receipt.amount), .amount(receipt.chargedCumulativeAmount), .amount(receipt.remainingLimit),
                .unsigned(receipt.issuedAt), .time(time), .bytes32(receipt.receiptId),
            ])
        guard database.changes == 1 else { throw StoreError("held payment \(receipt.receiptId.hex) changed") }
        try updateSpent(of: grant, to: grant.spent - released, at: time, in: database)
        try database.query(
            "UPDATE channels SET charged = ? WHERE grant_id = ? AND payee = ?",
            [.amount(receipt.chargedCumulativeAmount), .bytes32(channel.key.grantId), .address(channel.key.payee)])
        database.chargeState.forgetGrant(grant.grantId)
        database.chargeState.forgetChannel(channel.key)
        if let carrier = mutation.carrierJSON {
            try database.query(
                """
                INSERT INTO channel_carriers (grant_id, payee, carrier) VALUES (?, ?, ?)
                ON CONFLICT (grant_id, payee) DO UPDATE SET carrier = excluded.carrier
                """, [.bytes32(channel.key.grantId), .address(channel.key.payee), .text(carrier)])
        }
        let capture = mutation.capture
        try database.query(
            """
            UPDATE payment_holds SET captured_amount = ?, captured_usage = ?, captured_breakdown = ?, over_hold = ?,
                captured_at_ms = ?
            WHERE receipt_id = ? AND captured_at_ms IS NULL AND released_at_ms IS NULL
            """,
            [
                .amount(capture.amount), .text(try encodeJSON(capture.usage)), .text(capture.breakdownJSON),
                .integer(capture.overHold ? 1 : 0), .time(capture.capturedAt), .bytes32(hold.receiptId),
            ])
        guard database.changes == 1 else { throw StoreError("hold \(hold.receiptId.hex) was not open") }
    }

    /// Inserts a hold with its payment; a retry of a voided authorization replaces the released hold.
    static func writeHold(_ hold: PaymentHold, in database: SQLiteConnection) throws(StoreError) {
        try database.query(
            """
            INSERT INTO payment_holds (receipt_id, amount, terms, expires_at_ms) VALUES (?, ?, ?, ?)
            ON CONFLICT (receipt_id) DO UPDATE SET amount = excluded.amount, terms = excluded.terms,
                expires_at_ms = excluded.expires_at_ms, captured_amount = NULL, captured_usage = NULL,
                captured_breakdown = NULL, over_hold = NULL, captured_at_ms = NULL, released_at_ms = NULL
            """,
            [.bytes32(hold.receiptId), .amount(hold.amount), .text(try encodeJSON(hold.terms)), .time(hold.expiresAt)])
    }

    static func markHoldReleased(_ receiptId: Bytes32, at time: UnixTime, in database: SQLiteConnection)
        throws(StoreError)
    {
        try database.query(
            "UPDATE payment_holds SET released_at_ms = ? WHERE receipt_id = ? AND released_at_ms IS NULL",
            [.time(time), .bytes32(receiptId)])
    }

    private static func hold(_ receiptId: Bytes32, in database: SQLiteConnection) throws(StoreError) -> PaymentHold? {
        guard
            let row = try database.query(
                "SELECT \(holdColumns) FROM payment_holds WHERE receipt_id = ?", [.bytes32(receiptId)]
            ).first
        else { return nil }
        let terms: QuoteTerms = try decodeJSON(try row.text(2))
        var capture: HoldCapture?
        if !row.isNull(4) {
            capture = HoldCapture(
                amount: try row.amount(4), usage: try decodeJSON(try row.text(5)), breakdownJSON: try row.text(6),
                overHold: try row.integer(7) != 0, capturedAt: try row.time(8))
        }
        return PaymentHold(
            receiptId: try row.bytes32(0), amount: try row.amount(1), terms: terms, expiresAt: try row.time(3),
            capture: capture, releasedAt: try row.optionalTime(9))
    }

    private static func encodeJSON(_ value: some Encodable) throws(StoreError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
            throw StoreError("cannot encode a hold: \(error)")
        }
    }

    private static func decodeJSON<Value: Decodable>(_ text: String) throws(StoreError) -> Value {
        do { return try JSONDecoder().decode(Value.self, from: Data(text.utf8)) } catch {
            throw StoreError("stored hold is not valid: \(error)")
        }
    }
}
