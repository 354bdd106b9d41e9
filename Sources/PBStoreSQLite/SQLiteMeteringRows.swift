import Foundation
import PBCore
import PBMetering
import PBPricing
import PBStore

/// Group commit for metering updates: a session update reads, changes and writes inside its own savepoint.
typealias SQLiteMeteringBatcher = SQLiteWriteBatcher

/// A session update carried by reference through the writer's type-erased queue (one pointer instead of a large
/// boxed struct of `UInt128`s).
final class SQLiteMeteringOutcome: Sendable {
    let update: SessionUpdate?
    init(_ update: SessionUpdate?) { self.update = update }
}

/// How accounts, sessions, usage and events become rows and back. Every decoder throws a `StoreError` on a value
/// the store could not have written.
enum SQLiteMeteringRows {
    static let accountColumns = """
        account_id, asset_symbol, asset_decimals, balance, topped_up, spent, refill_level, low_balance_ppm,
        low_balance_reference, low_balance_alerted, created_at_ms, updated_at_ms
        """

    static func accountValues(_ account: Account) -> [SQLiteValue] {
        [
            .text(account.id), .text(account.asset.symbol), .integer(Int64(account.asset.decimals)),
            .amount(account.balance.baseUnits), .amount(account.toppedUp.baseUnits), .amount(account.spent.baseUnits),
            .amount(account.refillLevel.baseUnits), .integer(Int64(account.lowBalance.fractionPartsPerMillion)),
            account.lowBalance.fixedReference.map { .amount($0.baseUnits) } ?? .null,
            .integer(account.lowBalanceAlerted ? 1 : 0), .time(account.createdAt), .time(account.updatedAt),
        ]
    }

    static func account(_ row: SQLiteRow) throws(StoreError) -> Account {
        do {
            let decimals = Int(try row.integer(2))
            func amount(_ index: Int) throws -> Amount { try Amount(baseUnits: row.amount(index), decimals: decimals) }
            let policy = try LowBalancePolicy(
                fractionPartsPerMillion: UInt32(clamping: row.integer(7)), fixedReference: row.isNull(8) ? nil : amount(8))
            return try Account(
                id: row.text(0), asset: Asset(symbol: row.text(1), decimals: decimals), balance: amount(3),
                toppedUp: amount(4), spent: amount(5), refillLevel: amount(6), lowBalance: policy,
                lowBalanceAlerted: row.integer(9) != 0, createdAt: row.time(10), updatedAt: row.time(11))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("stored account is damaged: \(error)")
        }
    }

    static func sessionDocument(_ session: MeterSession) throws(StoreError) -> String {
        do { return String(decoding: try JSONEncoder().encode(session), as: UTF8.self) } catch {
            throw StoreError("session \(session.id) cannot be encoded: \(error)")
        }
    }

    static func session(_ document: String) throws(StoreError) -> MeterSession {
        do { return try JSONDecoder().decode(MeterSession.self, from: Data(document.utf8)) } catch {
            throw StoreError("stored session is damaged: \(error)")
        }
    }

    /// `input_token=1200,output_token=350`: unit names never hold `=` or `,`.
    static func quantitiesText(_ quantities: [UsageQuantity]) -> String {
        quantities.map { "\($0.unit.name)=\($0.quantity)" }.joined(separator: ",")
    }

    static func quantities(_ text: String) throws(StoreError) -> [UsageQuantity] {
        try text.split(separator: ",").map { (part) throws(StoreError) in
            let pieces = part.split(separator: "=")
            guard pieces.count == 2, let quantity = UInt64(pieces[1]), let unit = try? PricingUnit(name: String(pieces[0]))
            else { throw StoreError("stored usage quantities are damaged") }
            return UsageQuantity(unit: unit, quantity: quantity)
        }
    }

    /// Dimensions as a JSON object with sorted keys, or NULL when there are none.
    static func dimensionsValue(_ dimensions: [String: String]) -> SQLiteValue {
        guard !dimensions.isEmpty else { return .null }
        return .text(JSONValue.object(dimensions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).serialized())
    }

    static func dimensions(_ row: SQLiteRow, _ index: Int) throws(StoreError) -> [String: String] {
        guard !row.isNull(index) else { return [:] }
        let members = (try? JSONValue.parse(try row.text(index)))?.objectMembers ?? []
        var dimensions: [String: String] = [:]
        for (key, value) in members {
            guard let text = value.stringValue else { throw StoreError("stored usage dimensions are damaged") }
            dimensions[key] = text
        }
        return dimensions
    }

    static let eventColumns = """
        e.sequence, e.kind, e.account_id, e.session_id, e.at_ms, e.balance, e.threshold, e.reason, a.asset_decimals,
        e.attempts
        """

    static func event(_ row: SQLiteRow) throws(StoreError) -> MeteringEvent {
        let decimals = Int(try row.integer(8))
        guard let kind = MeteringEvent.Kind(rawValue: try row.text(1)) else { throw StoreError("stored event kind unknown") }
        let reason = try row.optionalText(7).map { (text) throws(StoreError) in
            guard let reason = StopReason(rawValue: text) else { throw StoreError("stored stop reason unknown") }
            return reason
        }
        do {
            return MeteringEvent(
                sequence: try row.integer(0), kind: kind, accountId: try row.text(2), sessionId: try row.optionalText(3),
                at: try row.time(4), balance: try Amount(baseUnits: try row.amount(5), decimals: decimals),
                threshold: row.isNull(6) ? nil : try Amount(baseUnits: try row.amount(6), decimals: decimals), reason: reason)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("stored event is damaged: \(error)")
        }
    }

    /// Reads a list cursor written by the metering lists: the sequence number of the last item.
    static func sequenceCursor(_ text: String?) throws(StoreError) -> Int64? {
        guard let text else { return nil }
        guard let sequence = Int64(text), sequence > 0 else { throw StoreError("malformed list cursor") }
        return sequence
    }
}
