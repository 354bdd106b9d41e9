/// A wire value that travels as a bare JSON string but deserves its own type (network ids, reason codes).
///
/// Shares the string plumbing so each such type declares only its storage and its meaning; both stay open
/// structs rather than enums because the wire carries values we do not know yet.
public protocol X402StringValue: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible where RawValue == String, StringLiteralType == String
{
    init(rawValue: String)
}

extension X402StringValue {
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
