/// What a price is per: a call, an input or output token, a span of time, a byte, or a unit the merchant names.
///
/// Count units are metered as whole counts. Time units (`second`, `minute`, `hour`) are metered in milliseconds,
/// the resolution of `UnixTime`, so a 3.5-hour rental is 12,600,000 and is priced pro rata to the millisecond.
public enum PricingUnit: Hashable, Sendable, CustomStringConvertible {
    case call
    case inputToken
    case outputToken
    case second
    case minute
    case hour
    case byte
    /// A merchant-defined count unit, written `custom:NAME` in configuration (`custom:frame`, `custom:image`).
    case custom(String)

    /// The prefix that marks a merchant-defined unit, so that a misspelt built-in (`secnd`) is an error, not a new unit.
    public static let customPrefix = "custom:"

    static let builtInNames: [(String, PricingUnit)] = [
        ("call", .call), ("input_token", .inputToken), ("output_token", .outputToken), ("second", .second),
        ("minute", .minute), ("hour", .hour), ("byte", .byte),
    ]

    /// Parses the configuration name: `call`, `input_token`, `output_token`, `second`, `minute`, `hour`, `byte`,
    /// or `custom:NAME` with NAME of 1 to 64 lowercase ASCII letters, digits, `_`, `-` or `.`.
    public init(name: String) throws(PricingError) {
        if let builtIn = Self.builtInNames.first(where: { $0.0 == name }) {
            self = builtIn.1
            return
        }
        guard name.hasPrefix(Self.customPrefix) else {
            let known = Self.builtInNames.map(\.0).joined(separator: ", ")
            throw .invalid(nil, "unit '\(name)' is not one of \(known) or custom:NAME")
        }
        let customName = String(name.dropFirst(Self.customPrefix.count))
        guard (1...64).contains(customName.utf8.count),
            customName.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "_-.".utf8.contains(byte)
            })
        else { throw .invalid(nil, "custom unit name '\(customName)' must be 1 to 64 of a-z, 0-9, '_', '-', '.'") }
        self = .custom(customName)
    }

    /// The configuration name, the inverse of `init(name:)`.
    public var name: String {
        switch self {
        case .call: "call"
        case .inputToken: "input_token"
        case .outputToken: "output_token"
        case .second: "second"
        case .minute: "minute"
        case .hour: "hour"
        case .byte: "byte"
        case .custom(let customName): Self.customPrefix + customName
        }
    }

    public var description: String { name }

    /// Milliseconds in one unit for time units, nil for count units.
    public var millisecondsPerUnit: UInt64? {
        switch self {
        case .second: 1_000
        case .minute: 60_000
        case .hour: 3_600_000
        default: nil
        }
    }

    public var isTime: Bool { millisecondsPerUnit != nil }

    /// Metered quantity (count or milliseconds) in one configured unit: what tier bounds, free units and package
    /// sizes written in the unit are multiplied by.
    var meteredPerUnit: UInt64 { millisecondsPerUnit ?? 1 }

    /// Exact units of `ExactAmount` per scaled unit of rate and per metered quantity, before the multiplier:
    /// a count unit takes the whole 3,600,000; a millisecond of an hourly rate takes 1 (3,600,000 / 3,600,000).
    var exactWeight: UInt128 { UInt128(ExactAmount.millisecondsPerHour / meteredPerUnit) }
}
