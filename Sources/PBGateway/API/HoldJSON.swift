import PBCore
import PBStore

/// A held or captured payment on the management API: the payment's fields plus `hold`.
enum HoldJSON {
    static func payment(_ record: PaymentRecord, hold: PaymentHold?, decimals: Int) -> JSONValue {
        guard case .object(var members) = RecordJSON.payment(record, decimals: decimals), let hold else {
            return RecordJSON.payment(record, decimals: decimals)
        }
        members.append(("hold", self.hold(hold, decimals: decimals)))
        return .object(members)
    }

    static func hold(_ hold: PaymentHold, decimals: Int) -> JSONValue {
        let state = hold.capture != nil ? "captured" : hold.releasedAt != nil ? "released" : "open"
        var members: [(key: String, value: JSONValue)] = [
            ("state", .string(state)),
            ("heldAmount", JSONBodies.money(hold.amount, decimals: decimals)),
            ("heldAmountBaseUnits", .string(String(hold.amount))),
            ("expiresAt", .string(String(hold.expiresAt.seconds))),
            ("route", .string(hold.terms.route)),
        ]
        if let capture = hold.capture {
            members += [
                ("capturedAmount", JSONBodies.money(capture.amount, decimals: decimals)),
                ("capturedAmountBaseUnits", .string(String(capture.amount))),
                ("releasedAmountBaseUnits", .string(String(hold.amount - min(capture.amount, hold.amount)))),
                ("usage", .object(capture.usage.sorted { $0.key < $1.key }.map { ($0.key, .string(String($0.value))) })),
                ("overHold", .bool(capture.overHold)),
                ("capturedAt", .string(String(capture.capturedAt.seconds))),
                ("breakdown", (try? JSONValue.parse(Array(capture.breakdownJSON.utf8))) ?? .null),
            ]
        }
        if let releasedAt = hold.releasedAt { members.append(("releasedAt", .string(String(releasedAt.seconds)))) }
        return .object(members)
    }
}
