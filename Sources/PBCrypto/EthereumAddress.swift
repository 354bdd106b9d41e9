import PBCore

/// A 20-byte Ethereum account address, printed with its EIP-55 mixed-case checksum.
public struct EthereumAddress: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public struct ParseError: Error, Equatable, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// The 20 raw bytes.
    public let bytes: [UInt8]

    public static let zero = EthereumAddress(unchecked: [UInt8](repeating: 0, count: 20))

    public init(bytes: [UInt8]) throws(ParseError) {
        guard bytes.count == 20 else { throw ParseError(message: "an address has 20 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == 20)
        self.bytes = bytes
    }

    /// Parses `0x` + 40 hex digits. All-lower-case and all-upper-case addresses carry no checksum and are accepted;
    /// a mixed-case address must match its EIP-55 checksum exactly (a typo there is what the checksum catches).
    public init(_ string: String) throws(ParseError) {
        guard string.hasPrefix("0x") || string.hasPrefix("0X") else {
            throw ParseError(message: "address must start with 0x: \(string.prefix(64))")
        }
        let digits = string.dropFirst(2)
        guard digits.utf8.count == 40 else {
            throw ParseError(message: "address must have 40 hex digits, got \(digits.utf8.count)")
        }
        let decoded: [UInt8]
        do { decoded = try Hex.decode(String(digits)) } catch {
            throw ParseError(message: "address is not hex: \(error.message)")
        }
        self.init(unchecked: decoded)
        // ASCII tests: Character's Unicode properties cost more than the rest of parsing an address.
        let hasLower = digits.utf8.contains { (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        let hasUpper = digits.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
        if hasLower && hasUpper && "0x" + digits != checksummed {
            throw ParseError(message: "address has a bad EIP-55 checksum: \(string) (expected \(checksummed))")
        }
    }

    /// EIP-55: a hex letter is upper case when the matching nibble of keccak256(lower-case hex) is >= 8.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes, prefix: false).utf8)
        let hash = Keccak256.hash(lower)
        var result: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "x")]
        result.reserveCapacity(42)
        for (index, character) in lower.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0f
            // Hex letters a-f become A-F (ASCII minus 32) where the hash nibble is 8 or more.
            let isLetter = character >= UInt8(ascii: "a")
            result.append(isLetter && nibble >= 8 ? character - 32 : character)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Lower-case `0x` hex, the form used in keys and comparisons.
    public var lowercased: String { Hex.encode(bytes) }

    public var description: String { checksummed }

    public static func < (lhs: EthereumAddress, rhs: EthereumAddress) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The bytes in one call (the synthesised conformance fed the hasher 20 single bytes; addresses key caches).
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(checksummed)
    }
}
