/// Builds `encodeData(s) = typeHash ‖ word(field 1) ‖ ... ‖ word(field n)` one 32-byte word at a time, and
/// `hashStruct(s)` as its keccak256.
///
/// This is the hot path for vouchers (one per paid request): no JSON, no type parsing, one buffer sized up front.
/// Fields must be appended in the order the struct's type lists them.
public struct EIP712StructEncoder: Sendable {
    /// `typeHash ‖ words`, i.e. EIP-712 `encodeData`.
    public private(set) var encoded: [UInt8]

    public init(typeHash: [UInt8], fieldCount: Int = 8) {
        precondition(typeHash.count == 32, "a type hash has 32 bytes")
        encoded = []
        encoded.reserveCapacity(32 * (fieldCount + 1))
        encoded.append(contentsOf: typeHash)
    }

    /// An encoder for `Value`, starting with its cached type hash.
    public init<Value: EIP712Struct>(for type: Value.Type) {
        self.init(typeHash: Value.eip712TypeHash, fieldCount: Value.eip712Fields.count)
    }

    /// `hashStruct`: keccak256 of everything appended.
    public func finalize() -> [UInt8] { Keccak256.hash(encoded) }

    /// Appends a raw 32-byte word (e.g. a `bytes32` or a `uint256` already in big-endian form).
    public mutating func appendWord(_ word: [UInt8]) {
        precondition(word.count == 32, "an EIP-712 word has 32 bytes, got \(word.count)")
        encoded.append(contentsOf: word)
    }

    public mutating func appendBytes32(_ bytes: [UInt8]) { appendWord(bytes) }

    /// `bytes1`...`bytes32`: left-aligned, zero-padded on the right.
    public mutating func appendFixedBytes(_ bytes: [UInt8]) { encoded.append(contentsOf: Self.word(fixedBytes: bytes)) }

    // The appenders below write straight into the buffer: building a temporary 32-byte array per field cost more
    // than the keccak of a voucher.
    public mutating func appendAddress(_ address: EthereumAddress) {
        appendZeros(12)
        encoded.append(contentsOf: address.bytes)
    }

    public mutating func appendBool(_ value: Bool) { encoded.append(contentsOf: Self.word(bool: value)) }

    /// Any `uintN` with N ≤ 64.
    public mutating func appendUInt(_ value: UInt64) {
        appendZeros(24)
        appendBigEndian(value)
    }

    /// Any `uintN` with N ≤ 128 (token amounts).
    public mutating func appendUInt(_ value: UInt128) {
        appendZeros(16)
        appendBigEndian(UInt64(truncatingIfNeeded: value >> 64))
        appendBigEndian(UInt64(truncatingIfNeeded: value))
    }

    /// Any `intN` with N ≤ 64: sign-extended two's complement.
    public mutating func appendInt(_ value: Int64) { encoded.append(contentsOf: Self.word(int: value)) }

    /// `string`: keccak256 of its UTF-8 bytes.
    public mutating func appendString(_ value: String) { encoded.append(contentsOf: Keccak256.hash(Array(value.utf8))) }

    /// Dynamic `bytes`: keccak256 of the bytes.
    public mutating func appendBytes(_ value: [UInt8]) { encoded.append(contentsOf: Keccak256.hash(value)) }

    /// A nested struct field: its `hashStruct`.
    public mutating func appendStruct(_ value: some EIP712Struct) { appendWord(value.eip712StructHash()) }

    public mutating func appendStructHash(_ hash: [UInt8]) { appendWord(hash) }

    /// An array field whose elements are already words (atomic values, struct hashes or inner-array hashes).
    public mutating func appendWordArray(_ words: [[UInt8]]) { encoded.append(contentsOf: Self.hash(words: words)) }

    /// An array of structs: keccak256 of the concatenated struct hashes.
    public mutating func appendStructArray<Value: EIP712Struct>(_ values: [Value]) {
        appendWordArray(values.map { $0.eip712StructHash() })
    }

    private mutating func appendZeros(_ count: Int) {
        encoded.append(contentsOf: repeatElement(0, count: count))
    }

    private mutating func appendBigEndian(_ value: UInt64) {
        var shift: UInt64 = 56
        while true {
            encoded.append(UInt8(truncatingIfNeeded: value &>> shift))
            if shift == 0 { break }
            shift -= 8
        }
    }

    // MARK: - Words, for array elements and the generic encoder

    public static func word(address: EthereumAddress) -> [UInt8] { [UInt8](repeating: 0, count: 12) + address.bytes }

    public static func word(bool: Bool) -> [UInt8] { [UInt8](repeating: 0, count: 31) + [bool ? 1 : 0] }

    public static func word(uint value: UInt64) -> [UInt8] { [UInt8](repeating: 0, count: 24) + bigEndian(value) }

    public static func word(uint value: UInt128) -> [UInt8] {
        [UInt8](repeating: 0, count: 16) + bigEndian(UInt64(truncatingIfNeeded: value >> 64))
            + bigEndian(UInt64(truncatingIfNeeded: value))
    }

    public static func word(int value: Int64) -> [UInt8] {
        [UInt8](repeating: value < 0 ? 0xFF : 0, count: 24) + bigEndian(UInt64(bitPattern: value))
    }

    /// `bytes1`...`bytes32`: left-aligned, zero-padded on the right.
    public static func word(fixedBytes bytes: [UInt8]) -> [UInt8] {
        precondition(bytes.count <= 32, "bytesN holds at most 32 bytes")
        return bytes + [UInt8](repeating: 0, count: 32 - bytes.count)
    }

    /// Array encoding: keccak256 of the concatenated element words.
    public static func hash(words: [[UInt8]]) -> [UInt8] {
        var concatenated: [UInt8] = []
        concatenated.reserveCapacity(32 * words.count)
        for word in words {
            precondition(word.count == 32, "an EIP-712 word has 32 bytes")
            concatenated.append(contentsOf: word)
        }
        return Keccak256.hash(concatenated)
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> $0) }
    }
}
