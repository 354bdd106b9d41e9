/// Why a payment (or a grant, voucher or call) was refused: the failed check's code, a sentence for people, and
/// the HTTP status the gateway answers with (docs/PROTOCOL.md, section 10).
public struct PaymentRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: X402ErrorCode
    public let message: String
    public let httpStatus: Int

    public init(_ code: X402ErrorCode, _ message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus ?? Self.defaultStatus(for: code)
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// 400 for malformed input, 403 for a key that may not pay any more, 429 for rate limits, else 402.
    static func defaultStatus(for code: X402ErrorCode) -> Int {
        switch code {
        case .invalidPayload, .invalidX402Version, .pbSignatureMalformed: 400
        case .pbGrantRevoked, .pbKeyFrozen, .pbPayeeMismatch, .pbPayeeNotAllowed, .pbServiceNotAllowed, .pbRiskBlocked: 403
        case .pbRateLimited: 429
        default: 402
        }
    }

    static func malformed(_ error: SessionMessageError) -> PaymentRefusal {
        PaymentRefusal(.invalidPayload, error.description)
    }
}

/// The outcome of a verification: the verified value, or the first check that failed.
public enum Verdict<Value: Sendable>: Sendable {
    case valid(Value)
    case invalid(PaymentRefusal)

    public var refusal: PaymentRefusal? {
        if case .invalid(let refusal) = self { return refusal }
        return nil
    }

    public var value: Value? {
        if case .valid(let value) = self { return value }
        return nil
    }

    /// The verdict of a throwing check: its value, or the refusal it threw.
    public init(_ check: () throws(PaymentRefusal) -> Value) {
        do { self = .valid(try check()) } catch { self = .invalid(error) }
    }

    /// The value, or the refusal thrown.
    public func get() throws(PaymentRefusal) -> Value {
        switch self {
        case .valid(let value): return value
        case .invalid(let refusal): throw refusal
        }
    }
}
