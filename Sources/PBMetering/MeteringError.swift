import PBCore
import PBPricing

/// Every way a metering operation can fail, with the input field at fault when there is one. A failed operation
/// changes nothing: the caller's transaction rolls back, so no partial debit or half-recorded batch remains.
public struct MeteringError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Malformed input; `field` names it (`events[3].id`, `lowBalanceFraction`).
        case invalid
        /// The balance cannot pay what was asked (a session's first second, a resume).
        case insufficientFunds = "insufficient_funds"
        /// The session's state does not allow the operation (recording usage on a stopped session).
        case conflict
        /// An amount does not fit: no real balance gets here.
        case overflow
    }

    public let kind: Kind
    public let field: String?
    public let message: String

    public init(kind: Kind, field: String? = nil, message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    public static func invalid(_ field: String?, _ message: String) -> MeteringError {
        MeteringError(kind: .invalid, field: field, message: message)
    }

    public static func conflict(_ message: String) -> MeteringError { MeteringError(kind: .conflict, message: message) }

    public static func insufficientFunds(_ message: String) -> MeteringError {
        MeteringError(kind: .insufficientFunds, message: message)
    }

    static let overflow = MeteringError(kind: .overflow, message: "the amount exceeds the largest representable amount")

    /// A pricing failure while metering: a bad plan or usage is the caller's input, an overflow is an overflow.
    static func pricing(_ error: PricingError, field: String? = nil) -> MeteringError {
        if error.kind == .overflow { return .overflow }
        let path = [field, error.field].compactMap { $0 }.joined(separator: ".")
        return MeteringError(kind: .invalid, field: path.isEmpty ? nil : path, message: error.message)
    }

    /// Runs money arithmetic, turning its errors into `overflow` (the only way correct callers can fail there).
    static func money<Value>(_ body: () throws(MoneyError) -> Value) throws(MeteringError) -> Value {
        do { return try body() } catch { throw .overflow }
    }
}

/// Names of accounts, sessions and usage events: what merchants choose, so the grammar is strict and small.
public enum MeteringName {
    /// 1...128 ASCII letters, digits, `_`, `-`, `.`, `:`.
    public static func validate(_ text: String, field: String) throws(MeteringError) {
        guard (1...128).contains(text.utf8.count),
            text.utf8.allSatisfy({ byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || "_-.:".utf8.contains(byte)
            })
        else { throw .invalid(field, "must be 1 to 128 of A-Z, a-z, 0-9, '_', '-', '.', ':'") }
    }
}
