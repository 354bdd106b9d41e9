/// Exactly 32 bytes: hashes, ids (grant, voucher, receipt), salts, request bindings. Written as `0x` + 64 hex digits.
public struct Bytes32: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let bytes: [UInt8]

    public static let zero = Bytes32(unchecked: [UInt8](repeating: 0, count: 32))

    public init(_ bytes: [UInt8]) throws(Hex.DecodingError) {
        guard bytes.count == 32 else {
            throw Hex.DecodingError(message: "expected 32 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    public init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == 32, "Bytes32 needs 32 bytes")
        self.bytes = bytes
    }

    public init(hex: String) throws(Hex.DecodingError) {
        self.bytes = try Hex.decode(hex, count: 32)
    }

    /// 32 bytes from the system's secure random number generator.
    public static func random() -> Bytes32 {
        var generator = SystemRandomNumberGenerator()
        return Bytes32(unchecked: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public static func < (lhs: Bytes32, rhs: Bytes32) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// The bytes in one call: the synthesised conformance fed the hasher 32 single bytes, and ids key the
    /// gateway's caches and Sentinel's tables, several lookups per paid call.
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    public init(from decoder: any Decoder) throws {
        try self.init(hex: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
