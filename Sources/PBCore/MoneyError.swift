/// Every way money input or money arithmetic can fail, as one error type with a readable `description`.
///
/// The reason is a private code so that new reasons can be added without breaking callers; callers compare
/// against the static factories (`error == .overflow`) or show `description` to a person.
public struct MoneyError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case empty
        case whitespace
        case negative
        case leadingPlus
        case exponent
        case multipleDots
        case leadingDot
        case trailingDot
        case leadingZero
        case invalidCharacter(Character)
        case tooManyFractionDigits(found: Int, allowed: Int)
        case overflow
        case underflow
        case decimalsOutOfRange(Int)
        case decimalsMismatch(Int, Int)
        case invalidSymbol(String)
        case invalidRemainder
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// The string is empty.
    public static let empty = MoneyError(.empty)
    /// The string contains a space, tab or newline anywhere; amounts are never trimmed silently.
    public static let whitespace = MoneyError(.whitespace)
    /// The string starts with `-`: amounts are non-negative counts.
    public static let negative = MoneyError(.negative)
    /// The string starts with `+`; only bare digits are accepted.
    public static let leadingPlus = MoneyError(.leadingPlus)
    /// The string uses scientific notation such as `1e-6`.
    public static let exponent = MoneyError(.exponent)
    /// The string has more than one `.`.
    public static let multipleDots = MoneyError(.multipleDots)
    /// The string starts with `.` (write `0.5`, not `.5`).
    public static let leadingDot = MoneyError(.leadingDot)
    /// The string ends with `.` (write `5`, not `5.`).
    public static let trailingDot = MoneyError(.trailingDot)
    /// The integer part has a superfluous leading zero such as `01`.
    public static let leadingZero = MoneyError(.leadingZero)
    /// A character other than an ASCII digit or `.`.
    public static func invalidCharacter(_ character: Character) -> MoneyError { MoneyError(.invalidCharacter(character)) }
    /// More fractional digits than the asset (or rate) can represent; rounding input silently would move money.
    public static func tooManyFractionDigits(found: Int, allowed: Int) -> MoneyError {
        MoneyError(.tooManyFractionDigits(found: found, allowed: allowed))
    }
    /// The value does not fit in 128 bits of base units (or a product or sum would not).
    public static let overflow = MoneyError(.overflow)
    /// A subtraction would go below zero.
    public static let underflow = MoneyError(.underflow)
    /// An asset's decimals must be in `0...36`.
    public static func decimalsOutOfRange(_ decimals: Int) -> MoneyError { MoneyError(.decimalsOutOfRange(decimals)) }
    /// Two values of different precision were combined; convert explicitly first.
    public static func decimalsMismatch(_ left: Int, _ right: Int) -> MoneyError {
        MoneyError(.decimalsMismatch(left, right))
    }
    /// An asset symbol must be 1...16 ASCII letters or digits.
    public static func invalidSymbol(_ symbol: String) -> MoneyError { MoneyError(.invalidSymbol(symbol)) }
    /// A stored carried remainder is not below one base unit.
    public static let invalidRemainder = MoneyError(.invalidRemainder)

    public var description: String {
        switch code {
        case .empty: "amount is empty"
        case .whitespace: "amount contains whitespace"
        case .negative: "amount is negative; amounts must be zero or more"
        case .leadingPlus: "amount has a leading '+'; write bare digits"
        case .exponent: "amount uses an exponent; write plain decimal digits such as 0.000001"
        case .multipleDots: "amount has more than one '.'"
        case .leadingDot: "amount starts with '.'; write a leading 0 such as 0.5"
        case .trailingDot: "amount ends with '.'; drop the dot or add digits after it"
        case .leadingZero: "amount has a leading zero in its integer part"
        case .invalidCharacter(let character): "amount contains '\(character)'; only digits 0-9 and one '.' are allowed"
        case .tooManyFractionDigits(let found, let allowed):
            "amount has \(found) fractional digits but at most \(allowed) are allowed"
        case .overflow: "amount exceeds the largest representable value (2^128 - 1 units)"
        case .underflow: "result would be negative"
        case .decimalsOutOfRange(let decimals): "decimals \(decimals) is outside 0...36"
        case .decimalsMismatch(let left, let right): "cannot combine values with \(left) and \(right) decimals"
        case .invalidSymbol(let symbol): "asset symbol '\(symbol)' must be 1 to 16 ASCII letters or digits"
        case .invalidRemainder: "carried remainder is not smaller than one base unit"
        }
    }
}
