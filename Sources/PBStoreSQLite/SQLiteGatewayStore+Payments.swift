import PBCore
import PBCrypto
import PBProtocol
import PBStore

/// Channels, the charge transaction, voids and the payment list.
extension SQLiteGatewayStore {
    public func channel(_ key: ChannelKey) async throws -> ChannelRecord? {
        try withConnection { (database) throws(StoreError) in try Self.channel(key, in: database) }
    }

    public func charge(_ request: ChargeRequest, decide: @escaping @Sendable (ChargeContext) -> ChargeDecision)
        async throws -> ChargeDecision
    {
        try await chargeBatcher.charge { (database) in try Self.charge(request, decide: decide, in: database) }
    }

    /// Reads the context, decides and writes one charge inside the caller's transaction (a batch's savepoint, or a
    /// grant-funded session's update).
    static func charge(
        _ request: ChargeRequest, decide: @Sendable (ChargeContext) -> ChargeDecision, in database: SQLiteConnection
    ) throws(StoreError) -> ChargeDecision {
        let grantId = request.channel.grantId
        let state = database.chargeState
        // Rows read back are overlaid with what this batch deferred for them, so no charge decides behind it.
        var grant = state.grant(grantId)
        if grant == nil, var stored = try Self.grant(grantId, in: database) {
            if let deferred = state.deferredGrants[grantId] {
                stored.spent = deferred.spent
                stored.updatedAt = deferred.updatedAt
            }
            grant = stored
            state.store(stored)
        }
        let channel: ChannelRecord
        if let cached = state.channel(request.channel) {
            channel = cached
        } else if let deferred = state.deferredChannels[request.channel] {
            channel = deferred.record
            state.store(channel)
        } else if let stored = try Self.channel(request.channel, in: database) {
            channel = stored
            state.store(stored)
        } else {
            channel = ChannelRecord(key: request.channel)
        }
        // A window call the window has never seen cannot have a payment yet: its receipt id is derived from the
        // window and the index, and charging it marks the index used. Anything else is looked up.
        let existing: PaymentRecord?
        if let call = request.windowCall, let window = channel.window, window.windowId == call.windowId,
            window.isFresh(call.callIndex)
        {
            existing = nil
        } else {
            existing = try Self.payment(request.receiptId, in: database)
        }
        // Counting scans the window's index entries, so only grants with a rate limit pay for it.
        var callsInRateWindow: Int64 = 0
        if let rateWindowStart = request.rateWindowStart {
            callsInRateWindow = try database.query(
                """
                SELECT count(*) FROM payments
                WHERE grant_id = ? AND status IN ('charged', 'held') AND created_at_ms >= ?
                """,
                [.bytes32(grantId), .time(rateWindowStart)])[0].integer(0)
        }
        let spentInPeriod = try request.periodStart.map { (start) throws(StoreError) in
            try Self.spent(grantId: grantId, since: start, in: database)
        } ?? 0
        let decision = decide(
            ChargeContext(
                grant: grant, channel: channel, existingPayment: existing,
                callsInRateWindow: Int(callsInRateWindow), spentInPeriod: spentInPeriod))
        if case .charge(let mutation) = decision {
            try Self.apply(
                mutation, for: request, grant: grant, channel: channel, existing: existing, in: database)
            // Written: the records as they now stand in the transaction (forgotten again if it rolls back).
            if var charged = grant {
                charged.spent = mutation.grantSpent
                charged.updatedAt = mutation.payment.updatedAt
                state.store(charged)
            }
            state.store(mutation.channel)
        }
        return decision
    }

    /// Charged and held amounts under the grant since `start`: what its period allowance has used.
    static func spent(grantId: Bytes32, since start: UnixTime, in database: SQLiteConnection) throws(StoreError) -> UInt128 {
        // Amounts are decimal text, which SQL cannot add exactly: they are summed here, with a check.
        let amounts = try database.query(
            """
            SELECT amount FROM payments
            WHERE grant_id = ? AND status IN ('charged', 'held') AND created_at_ms >= ?
            """,
            [.bytes32(grantId), .time(start)])
        var total: UInt128 = 0
        for row in amounts { total = try Self.add(total, try row.amount(0)) }
        return total
    }

    public func voidPayment(_ receiptId: Bytes32, at time: UnixTime) async throws -> PaymentRecord? {
        try withConnection { (database) throws(StoreError) in
            try database.transaction { () throws(StoreError) -> PaymentRecord? in
                guard let payment = try Self.payment(receiptId, in: database),
                    payment.status == .charged || payment.status == .held
                else { return nil }
                return try Self.void(payment, at: time, in: database)
            }
        }
    }

    /// Voids a charged or held payment inside the caller's transaction: status voided, the grant's spent and the
    /// channel's charged amount reduced by its amount, a hold marked released.
    static func void(_ payment: PaymentRecord, at time: UnixTime, in database: SQLiteConnection) throws(StoreError)
        -> PaymentRecord
    {
        var payment = payment
        let receiptId = payment.receiptId
        guard let grant = try Self.grant(payment.grantId, in: database),
            let channel = try Self.channel(payment.channel, in: database)
        else { throw StoreError("payment \(receiptId.hex) has no grant or channel to refund") }
        guard grant.spent >= payment.amount, channel.chargedCumulativeAmount >= payment.amount else {
            throw StoreError("voiding payment \(receiptId.hex) would take an amount below zero")
        }
        let previousStatus = payment.status
        payment.status = .voided
        payment.updatedAt = time
        try database.query(
            "UPDATE payments SET status = 'voided', updated_at_ms = ? WHERE receipt_id = ? AND status = ?",
            [.time(time), .bytes32(receiptId), .text(previousStatus.rawValue)])
        guard database.changes == 1 else { throw StoreError("payment \(receiptId.hex) changed while voiding") }
        try Self.updateSpent(of: grant, to: grant.spent - payment.amount, at: time, in: database)
        try database.query(
            "UPDATE channels SET charged = ? WHERE grant_id = ? AND payee = ?",
            [
                .amount(channel.chargedCumulativeAmount - payment.amount), .bytes32(channel.key.grantId),
                .address(channel.key.payee),
            ])
        if previousStatus == .held { try markHoldReleased(receiptId, at: time, in: database) }
        database.chargeState.forgetGrant(grant.grantId)
        database.chargeState.forgetChannel(channel.key)
        return payment
    }

    public func payment(_ receiptId: Bytes32) async throws -> PaymentRecord? {
        try withConnection { (database) throws(StoreError) in try Self.payment(receiptId, in: database) }
    }

    public func payments(grantId: Bytes32?, after cursor: String?, limit: Int) async throws -> Page<PaymentRecord> {
        let limit = ListCursor.clamp(limit)
        let start = try cursor.map { (text) throws(StoreError) in try ListCursor(text) }
        var conditions: [String] = [], values: [SQLiteValue] = []
        if let grantId {
            conditions.append("grant_id = ?")
            values.append(.bytes32(grantId))
        }
        if let start {
            conditions.append("(created_at_ms, receipt_id) < (?, ?)")
            values += [.integer(start.milliseconds), .bytes32(start.id)]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT \(Self.paymentColumns) FROM payments \(filter)
            ORDER BY created_at_ms DESC, receipt_id DESC LIMIT ?
            """
        return try withConnection { (database) throws(StoreError) in
            let rows = try database.query(sql, values + [.integer(Int64(limit + 1))])
            return try ListCursor.page(rows, limit: limit, record: Self.paymentRecord) {
                ListCursor(milliseconds: $0.createdAt.milliseconds, id: $0.receiptId)
            }
        }
    }

    // MARK: Writing a charge

    /// Writes an accepted charge after checking that it balances: the payment is the one asked about, the grant's
    /// spent amount grows by exactly the payment's amount and stays within the limit, the channel's charged amount
    /// grows by exactly the same. Any violation throws, and the transaction rolls back with nothing written.
    private static func apply(
        _ mutation: ChargeMutation, for request: ChargeRequest, grant: GrantRecord?, channel: ChannelRecord,
        existing: PaymentRecord?, in database: SQLiteConnection
    ) throws(StoreError) {
        let payment = mutation.payment
        guard let grant else { throw StoreError("charge on unknown grant \(request.channel.grantId.hex)") }
        guard payment.receiptId == request.receiptId, payment.channel == request.channel,
            mutation.channel.key == request.channel
        else { throw StoreError("charge mutation is for another payment or channel than its request") }
        // A plain charge is stored charged; an authorization is stored held, with its hold of the same amount.
        let isHold = mutation.hold.map { $0.receiptId == payment.receiptId && $0.amount == payment.amount } ?? false
        guard payment.status == (mutation.hold == nil ? .charged : .held), mutation.hold == nil || isHold else {
            throw StoreError("charge mutation stores a payment that is neither charged nor held with its hold")
        }
        guard existing == nil || existing?.status == .voided else {
            throw StoreError("payment \(payment.receiptId.hex) is already charged")
        }
        let expectedSpent = try add(grant.spent, payment.amount)
        guard mutation.grantSpent == expectedSpent else {
            throw StoreError("charge mutation sets spent to \(mutation.grantSpent), not \(expectedSpent)")
        }
        guard expectedSpent <= grant.grant.totalLimit else {
            throw StoreError("charge would take grant \(grant.grantId.hex) above its limit")
        }
        let expectedCharged = try add(channel.chargedCumulativeAmount, payment.amount)
        guard mutation.channel.chargedCumulativeAmount == expectedCharged else {
            throw StoreError(
                "charge mutation sets the channel's charged amount to \(mutation.channel.chargedCumulativeAmount), "
                    + "not \(expectedCharged)")
        }
        try writePayment(payment, replacingVoided: existing != nil, in: database)
        if let hold = mutation.hold { try writeHold(hold, in: database) }
        let state = database.chargeState
        if state.defersRows {
            state.deferGrant(
                grant.grantId, readSpent: grant.spent, spent: expectedSpent, at: payment.updatedAt,
                totalLimit: grant.grant.totalLimit)
            state.deferChannel(mutation.channel, read: channel)
        } else {
            try writeChannel(mutation.channel, previous: channel, in: database)
            try updateSpent(of: grant, to: expectedSpent, at: payment.updatedAt, in: database)
        }
    }

    /// Writes the grant and channel rows a charge batch deferred (`ChargeStateCache.defersRows`), once each, just
    /// before the batch commits. Each write is guarded as a per-charge write is: a grant's spent amount must still
    /// be what the batch read (and within its limit), a channel's window still the one it read.
    static func writeDeferredChargeRows(in database: SQLiteConnection) throws(StoreError) {
        let (grants, channels) = database.chargeState.takeDeferred()
        for deferred in channels.values {
            try writeChannel(deferred.record, previous: deferred.stored, in: database)
        }
        for (grantId, deferred) in grants {
            try updateSpent(
                of: grantId, from: deferred.storedSpent, to: deferred.spent, limit: deferred.totalLimit,
                at: deferred.updatedAt, in: database)
        }
    }

    static func writePayment(_ payment: PaymentRecord, replacingVoided: Bool, in database: SQLiteConnection)
        throws(StoreError)
    {
        let receipt = payment.receipt
        let values: [SQLiteValue] = [
            .bytes32(receipt.grantId), .address(receipt.payee), .amount(receipt.amount),
            .amount(receipt.chargedCumulativeAmount), .amount(receipt.remainingLimit), .unsigned(receipt.sequence),
            .unsigned(receipt.callIndex), .bytes32(receipt.requestBinding), .unsigned(receipt.issuedAt),
            .text(payment.service), .text(payment.method), .text(payment.target), .text(payment.status.rawValue),
            .time(payment.createdAt), .time(payment.updatedAt), .bytes32(receipt.receiptId),
        ]
        if replacingVoided {
            try database.query(
                """
                UPDATE payments SET grant_id = ?, payee = ?, amount = ?, charged_cumulative_amount = ?,
                    remaining_limit = ?, sequence = ?, call_index = ?, request_binding = ?, issued_at = ?, service = ?,
                    method = ?, target = ?, status = ?, created_at_ms = ?, updated_at_ms = ?
                WHERE receipt_id = ? AND status = 'voided'
                """, values)
        } else {
            try database.query(
                """
                INSERT INTO payments (grant_id, payee, amount, charged_cumulative_amount, remaining_limit, sequence,
                    call_index, request_binding, issued_at, service, method, target, status, created_at_ms,
                    updated_at_ms, receipt_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values)
        }
        guard database.changes == 1 else { throw StoreError("payment \(receipt.receiptId.hex) was not written") }
    }

    static func writeChannel(_ channel: ChannelRecord, previous: ChannelRecord, in database: SQLiteConnection)
        throws(StoreError)
    {
        let window = channel.window
        // A call inside a credit window changes only the amounts and the window's call bookkeeping; rewriting the
        // (unchanged) voucher document would re-serialise its JSON on every call.
        if let window, let previousWindow = previous.window, window.windowId == previousWindow.windowId,
            window.sequence == previousWindow.sequence, channel.latestVoucher?.digest == previous.latestVoucher?.digest,
            channel.lastSequence == previous.lastSequence
        {
            try database.query(
                """
                UPDATE channels SET charged = ?, window_highest_call_index = ?, window_used_calls = ?
                WHERE grant_id = ? AND payee = ? AND window_id = ?
                """,
                [
                    .amount(channel.chargedCumulativeAmount), .unsigned(window.highestCallIndex),
                    .blob(UsedCallsBitmap.encode(window.usedCalls)), .bytes32(channel.key.grantId),
                    .address(channel.key.payee), .bytes32(window.windowId),
                ])
            guard database.changes == 1 else { throw StoreError("channel's window changed during the charge") }
            return
        }
        try database.query(
            """
            INSERT INTO channels (grant_id, payee, charged, last_sequence, latest_voucher, window_id, window_sequence,
                window_ceiling, window_valid_until, window_session_public_key, window_highest_call_index,
                window_used_calls)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (grant_id, payee) DO UPDATE SET charged = excluded.charged,
                last_sequence = excluded.last_sequence, latest_voucher = excluded.latest_voucher,
                window_id = excluded.window_id, window_sequence = excluded.window_sequence,
                window_ceiling = excluded.window_ceiling, window_valid_until = excluded.window_valid_until,
                window_session_public_key = excluded.window_session_public_key,
                window_highest_call_index = excluded.window_highest_call_index,
                window_used_calls = excluded.window_used_calls
            """,
            [
                .bytes32(channel.key.grantId), .address(channel.key.payee), .amount(channel.chargedCumulativeAmount),
                .unsigned(channel.lastSequence), .optionalText(channel.latestVoucher?.documentJSON.serialized()),
                window.map { .bytes32($0.windowId) } ?? .null, window.map { .unsigned($0.sequence) } ?? .null,
                window.map { .amount($0.ceiling) } ?? .null, window.map { .unsigned($0.validUntil) } ?? .null,
                window.map { .blob($0.sessionPublicKey) } ?? .null,
                window.map { .unsigned($0.highestCallIndex) } ?? .null,
                window.map { .blob(UsedCallsBitmap.encode($0.usedCalls)) } ?? .null,
            ])
    }

    /// Sets a grant's spent amount; the SQL condition is a second guard that the amount stays within the limit.
    static func updateSpent(
        of grant: GrantRecord, to spent: UInt128, at time: UnixTime, in database: SQLiteConnection
    ) throws(StoreError) {
        try updateSpent(
            of: grant.grantId, from: grant.spent, to: spent, limit: grant.grant.totalLimit, at: time, in: database)
    }

    /// Sets a grant's spent amount, only if its row still holds `storedSpent` (what the caller read) and never above
    /// the grant's limit.
    static func updateSpent(
        of grantId: Bytes32, from storedSpent: UInt128, to spent: UInt128, limit totalLimit: UInt128, at time: UnixTime,
        in database: SQLiteConnection
    ) throws(StoreError) {
        guard spent <= totalLimit else { throw StoreError("grant \(grantId.hex) would exceed its limit") }
        try database.query(
            "UPDATE grants SET spent = ?, updated_at_ms = ? WHERE grant_id = ? AND spent = ?",
            [.amount(spent), .time(time), .bytes32(grantId), .amount(storedSpent)])
        guard database.changes == 1 else { throw StoreError("grant \(grantId.hex) changed since it was read") }
    }

    static func add(_ left: UInt128, _ right: UInt128) throws(StoreError) -> UInt128 {
        let (sum, overflow) = left.addingReportingOverflow(right)
        guard !overflow else { throw StoreError("amount overflows 128 bits") }
        return sum
    }

    // MARK: Reading rows

    static func channel(_ key: ChannelKey, in database: SQLiteConnection) throws(StoreError) -> ChannelRecord? {
        guard
            let row = try database.query(
                """
                SELECT charged, last_sequence, latest_voucher, window_id, window_sequence, window_ceiling,
                    window_valid_until, window_session_public_key, window_highest_call_index, window_used_calls
                FROM channels WHERE grant_id = ? AND payee = ?
                """, [.bytes32(key.grantId), .address(key.payee)]
            ).first
        else { return nil }
        var voucher: SignedPaymentVoucher?
        if !row.isNull(2) {
            guard case .voucher(let signed) = try row.document(2) else {
                throw StoreError("stored voucher is not a voucher")
            }
            voucher = signed
        }
        var window: CreditWindow?
        if !row.isNull(3) {
            window = CreditWindow(
                windowId: try row.bytes32(3), sequence: try row.unsigned(4), ceiling: try row.amount(5),
                validUntil: try row.unsigned(6), sessionPublicKey: try row.blob(7),
                highestCallIndex: try row.unsigned(8), usedCalls: try UsedCallsBitmap.decode(try row.blob(9)))
        }
        return ChannelRecord(
            key: key, chargedCumulativeAmount: try row.amount(0), lastSequence: try row.unsigned(1),
            latestVoucher: voucher, window: window)
    }

    static let paymentColumns = """
        receipt_id, grant_id, payee, amount, charged_cumulative_amount, remaining_limit, sequence, call_index,
        request_binding, issued_at, service, method, target, status, created_at_ms, updated_at_ms
        """

    static func payment(_ receiptId: Bytes32, in database: SQLiteConnection) throws(StoreError)
        -> PaymentRecord?
    {
        try database.query("SELECT \(paymentColumns) FROM payments WHERE receipt_id = ?", [.bytes32(receiptId)])
            .first.map { (row) throws(StoreError) in try paymentRecord(row) }
    }

    static func paymentRecord(_ row: SQLiteRow) throws(StoreError) -> PaymentRecord {
        let receipt = PaymentReceipt(
            receiptId: try row.bytes32(0), grantId: try row.bytes32(1), payee: try row.address(2),
            amount: try row.amount(3), chargedCumulativeAmount: try row.amount(4), remainingLimit: try row.amount(5),
            sequence: try row.unsigned(6), callIndex: try row.unsigned(7), requestBinding: try row.bytes32(8),
            issuedAt: try row.unsigned(9))
        guard let status = PaymentStatus(rawValue: try row.text(13)) else {
            throw StoreError("stored payment status unknown")
        }
        return PaymentRecord(
            receipt: receipt, service: try row.text(10), method: try row.text(11), target: try row.text(12),
            status: status, createdAt: try row.time(14), updatedAt: try row.time(15))
    }
}
