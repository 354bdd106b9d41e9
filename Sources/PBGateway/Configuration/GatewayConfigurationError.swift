/// A configuration problem, naming the field it is about (`services[1].routes[0].price`) so that an operator can find
/// the line to fix without reading the gateway's source.
public struct GatewayConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Dotted path of the offending field; empty for problems with the whole file.
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "configuration: \(message)" : "configuration field '\(field)': \(message)"
    }
}
