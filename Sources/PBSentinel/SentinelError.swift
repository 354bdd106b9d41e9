import PBCore

/// Why a Sentinel policy (rules, breaker policy) was rejected, naming the config field at fault.
///
/// Policies are checked when they are loaded, from the config file or `/v1/sentinel/rules`, so a running gateway
/// never meets a malformed rule mid-request. `field` is a path in the config format (`rules[2].when[0].calls.window`)
/// so the message can point an operator at the line to fix.
public struct SentinelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The offending field in config-path form; nil when the policy as a whole is at fault.
    public let field: String?
    public let message: String

    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    static func invalid(_ field: String?, _ message: String) -> SentinelError {
        SentinelError(field: field, message: message)
    }

    /// The same error one level further out: `window` inside `rules[1].when[0].calls` becomes the full path.
    func nested(under parent: String) -> SentinelError {
        let path = field.map { $0.hasPrefix("[") ? parent + $0 : parent + "." + $0 } ?? parent
        return SentinelError(field: path, message: message)
    }

    /// Runs `body`, prefixing `field` to the path of any error it throws and turning money parse errors into
    /// errors for that field.
    static func naming<Value>(_ field: String, _ body: () throws -> Value) throws(SentinelError) -> Value {
        do {
            return try body()
        } catch let error as SentinelError {
            throw error.nested(under: field)
        } catch let error as MoneyError {
            throw invalid(field, error.description)
        } catch {
            throw invalid(field, "\(error)")
        }
    }
}
