/// A time-sortable random identifier such as `rcpt_01JD8X3ZK5Q2W7V9N4M6T8R0AB` for payments, receipts, grants.
///
/// The body is a ULID layout: 26 upper-case Crockford base32 characters encoding 48 bits of Unix milliseconds
/// followed by 80 random bits. Because the time comes first and the alphabet is in ASCII order, sorting bodies
/// as strings sorts by creation time, which is what cursor pagination needs. Identifiers created in the same
/// millisecond sort in random (but stable) order. 80 random bits make collisions within one millisecond
/// negligible (about 2^40 identifiers per millisecond before a 50% chance).
///
/// Parsing is strict and canonical: lower case and Crockford's look-alike substitutions (`I`, `L`, `O`) are
/// rejected, so each identifier has exactly one spelling and can be compared as a string.
public struct Identifier: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// What kind of object this identifies: 1...16 lower-case ASCII letters or digits, starting with a letter.
    public let prefix: String
    /// The 26-character base32 body.
    public let body: String
    /// When the identifier was made, to the millisecond (the body's first 48 bits).
    public let time: UnixTime

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    static let bodyLength = 26
    /// The largest time 48 bits hold, in the year 10889.
    public static let latestTime = UnixTime(milliseconds: (1 << 48) - 1)

    /// A new identifier stamped with `clock.now` and system randomness.
    public static func make(prefix: String, clock: any WallClock = SystemWallClock()) throws(IdentifierError)
        -> Identifier
    {
        var generator = SystemRandomNumberGenerator()
        return try make(prefix: prefix, at: clock.now, using: &generator)
    }

    /// A new identifier for `time`, drawing its 80 random bits from `generator` (seed it in tests).
    public static func make(prefix: String, at time: UnixTime, using generator: inout some RandomNumberGenerator)
        throws(IdentifierError) -> Identifier
    {
        try validate(prefix: prefix)
        guard time.milliseconds >= 0, time <= latestTime else { throw .timeOutOfRange(time) }
        let randomBits = UInt128(generator.next() as UInt64) << 16 | UInt128(generator.next() as UInt16)
        let value = UInt128(time.milliseconds) << 80 | randomBits
        var characters = [UInt8](repeating: 0, count: bodyLength)
        for index in 0..<bodyLength {
            let shift = 5 * (bodyLength - 1 - index)
            characters[index] = alphabet[Int(truncatingIfNeeded: value >> shift & 0x1f)]
        }
        return Identifier(prefix: prefix, body: String(decoding: characters, as: UTF8.self), time: time)
    }

    /// Parses `prefix_BODY`; pass `expectedPrefix` to also reject identifiers of another kind.
    public init(parsing text: String, expectedPrefix: String? = nil) throws(IdentifierError) {
        guard let separator = text.utf8.lastIndex(of: UInt8(ascii: "_")) else { throw .missingSeparator }
        let prefix = String(text[..<separator])
        let body = String(text[text.index(after: separator)...])
        try Self.validate(prefix: prefix)
        if let expectedPrefix, prefix != expectedPrefix { throw .wrongPrefix(expected: expectedPrefix, found: prefix) }
        let value = try Self.decode(body: body)
        self.init(prefix: prefix, body: body, time: UnixTime(milliseconds: Int64(value >> 80)))
    }

    private init(prefix: String, body: String, time: UnixTime) {
        self.prefix = prefix
        self.body = body
        self.time = time
    }

    public var description: String { prefix + "_" + body }

    /// Orders by body (creation time, then the random bits), then by prefix.
    public static func < (left: Identifier, right: Identifier) -> Bool {
        (left.body, left.prefix) < (right.body, right.prefix)
    }

    private static func validate(prefix: String) throws(IdentifierError) {
        let bytes = Array(prefix.utf8)
        guard (1...16).contains(bytes.count), let first = bytes.first,
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            bytes.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { throw .invalidPrefix(prefix) }
    }

    private static func decode(body: String) throws(IdentifierError) -> UInt128 {
        let bytes = Array(body.utf8)
        guard bytes.count == bodyLength else { throw .wrongLength(bytes.count) }
        var value: UInt128 = 0
        for byte in bytes {
            guard let digit = alphabet.firstIndex(of: byte) else {
                throw .invalidCharacter(Character(Unicode.Scalar(byte)))
            }
            value = value << 5 | UInt128(digit)
        }
        // 26 characters carry 130 bits; the first may only use the low 3 so the value fits 128 bits.
        guard bytes[0] <= UInt8(ascii: "7") else { throw .bodyTooLarge }
        return value
    }
}

extension Identifier: Codable {
    /// Encoded as the single string `prefix_BODY`, validated on decoding.
    public init(from decoder: any Decoder) throws {
        try self.init(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why an identifier could not be made or parsed.
public struct IdentifierError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case missingSeparator
        case invalidPrefix(String)
        case wrongPrefix(expected: String, found: String)
        case wrongLength(Int)
        case invalidCharacter(Character)
        case timeOutOfRange(UnixTime)
        case bodyTooLarge
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    public static let missingSeparator = IdentifierError(.missingSeparator)
    public static func invalidPrefix(_ prefix: String) -> IdentifierError { IdentifierError(.invalidPrefix(prefix)) }
    public static func wrongPrefix(expected: String, found: String) -> IdentifierError {
        IdentifierError(.wrongPrefix(expected: expected, found: found))
    }
    public static func wrongLength(_ length: Int) -> IdentifierError { IdentifierError(.wrongLength(length)) }
    public static func invalidCharacter(_ character: Character) -> IdentifierError {
        IdentifierError(.invalidCharacter(character))
    }
    /// The time is before 1970 or after `Identifier.latestTime`.
    public static func timeOutOfRange(_ time: UnixTime) -> IdentifierError { IdentifierError(.timeOutOfRange(time)) }
    /// The body's first character is above `7`, so it does not fit 128 bits.
    public static let bodyTooLarge = IdentifierError(.bodyTooLarge)

    public var description: String {
        switch code {
        case .missingSeparator: "identifier has no '_' between prefix and body"
        case .invalidPrefix(let prefix):
            "identifier prefix '\(prefix)' must be 1 to 16 lower-case letters or digits, starting with a letter"
        case .wrongPrefix(let expected, let found): "expected a '\(expected)' identifier, got '\(found)'"
        case .wrongLength(let length): "identifier body has \(length) characters; expected 26"
        case .invalidCharacter(let character):
            "identifier body contains '\(character)'; only upper-case Crockford base32 (no I, L, O, U) is allowed"
        case .timeOutOfRange(let time): "identifier time \(time.milliseconds) ms is outside 1970...10889"
        case .bodyTooLarge: "identifier body starts above '7', so it exceeds 128 bits"
        }
    }
}
