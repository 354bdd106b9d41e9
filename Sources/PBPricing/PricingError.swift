import PBCore

/// Every way building a price plan or pricing usage can fail, with the configuration field at fault when there is one.
///
/// Plans are checked when they are built, so a running gateway never discovers a bad tier table mid-request:
/// `kind == .invalidPlan` errors carry `field`, a path such as `prices[2].tiers[1].upTo` that matches the config
/// format (`PricePlanConfig`), so the message can point a merchant at the line to fix.
public struct PricingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// A plan, tier, window, multiplier or override was rejected when built; `field` names it.
        case invalidPlan
        /// A quantity, position or amount does not fit; nothing was charged.
        case overflow
        /// The usage names a unit (or dimension value) that the plan has no price for.
        case unpricedUnit
        /// The usage itself is malformed (an interval that ends before it starts, a volume charge with prior usage).
        case invalidUsage
    }

    public let kind: Kind
    /// The offending field of the plan or override, in config-path form; nil for errors about usage.
    public let field: String?
    public let message: String

    public init(kind: Kind, field: String?, message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    static func invalid(_ field: String?, _ message: String) -> PricingError {
        PricingError(kind: .invalidPlan, field: field, message: message)
    }

    static let overflow = PricingError(
        kind: .overflow, field: nil, message: "the charge exceeds the largest representable amount")

    static func unpriced(_ message: String) -> PricingError {
        PricingError(kind: .unpricedUnit, field: nil, message: message)
    }

    static func invalidUsage(_ message: String) -> PricingError {
        PricingError(kind: .invalidUsage, field: nil, message: message)
    }

    /// The same error one level further out: `tiers[1].upTo` inside `prices[2]` becomes `prices[2].tiers[1].upTo`.
    func nested(under parent: String) -> PricingError {
        let path = field.map { $0.hasPrefix("[") ? parent + $0 : parent + "." + $0 } ?? parent
        return PricingError(kind: kind, field: path, message: message)
    }

    /// Runs `body`, naming `field` (relative to it) in any plan error it throws and turning money parse errors
    /// into plan errors for that field.
    static func naming<Value>(
        _ field: String, _ body: () throws -> Value
    ) throws(PricingError) -> Value {
        do {
            return try body()
        } catch let error as PricingError {
            throw error.kind == .invalidPlan ? error.nested(under: field) : error
        } catch let error as MoneyError {
            throw invalid(field, error.description)
        } catch {
            throw invalid(field, "\(error)")
        }
    }
}
