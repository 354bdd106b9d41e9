import CSecp256k1
import PBCore

/// A secp256k1 public key. Equal keys compare equal whichever encoding they were parsed from.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// SEC 1 uncompressed form: 0x04 ‖ x (32) ‖ y (32).
    public let uncompressedBytes: [UInt8]

    /// Parses the 33-byte compressed or 65-byte uncompressed SEC 1 encoding; the point must be on the curve.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 33 || bytes.count == 65 else { throw .invalidPublicKey }
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared.pointer, &key, bytes, bytes.count) == 1 else {
            throw .invalidPublicKey
        }
        self.init(key)
    }

    public init(hex: String) throws(CryptoError) {
        try self.init(bytes: decodeHex(hex))
    }

    init(_ key: secp256k1_pubkey) {
        uncompressedBytes = Self.serialize(key, compressed: false)
    }

    /// SEC 1 compressed form: 0x02/0x03 (parity of y) ‖ x.
    public var compressedBytes: [UInt8] {
        Self.serialize(parsed(), compressed: true)
    }

    /// The Ethereum address: the last 20 bytes of keccak256(x ‖ y).
    public var address: EthereumAddress {
        uncompressedBytes.withUnsafeBytes { EthereumAddress(uncompressedPublicKey: $0) }
    }

    /// True when `signature` (low-s, as every `Signature` is) signs `digest` under this key.
    /// The recovery id plays no part: verification checks r and s only.
    public func isValidSignature(_ signature: Signature, digest: [UInt8]) -> Bool {
        guard digest.count == 32 else { return false }
        let context = Secp256k1Context.shared.pointer
        var key = parsed()
        var standard = secp256k1_ecdsa_signature()
        let parsedSignature = signature.compactBytes.withUnsafeBufferPointer {
            secp256k1_ecdsa_signature_parse_compact(context, &standard, $0.baseAddress!)
        }
        guard parsedSignature == 1 else { return false }
        // libsecp256k1 itself rejects high-s here, so a malleated twin never verifies.
        return secp256k1_ecdsa_verify(context, &standard, digest, &key) == 1
    }

    public var description: String { "PublicKey(\(Hex.encode(uncompressedBytes)))" }

    /// The libsecp256k1 form. Re-parsing the validated 65 bytes cannot fail; it only converts the representation.
    func parsed() -> secp256k1_pubkey {
        var key = secp256k1_pubkey()
        let result = secp256k1_ec_pubkey_parse(
            Secp256k1Context.shared.pointer, &key, uncompressedBytes, uncompressedBytes.count)
        precondition(result == 1, "a validated public key failed to parse")
        return key
    }

    static func serialize(_ key: secp256k1_pubkey, compressed: Bool) -> [UInt8] {
        var key = key
        var length = compressed ? 33 : 65
        var output = [UInt8](repeating: 0, count: length)
        let flags = UInt32(compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED)
        _ = secp256k1_ec_pubkey_serialize(Secp256k1Context.shared.pointer, &output, &length, &key, flags)
        return output
    }
}

extension EthereumAddress {
    /// `uncompressedPublicKey` is the 65-byte SEC 1 form; its 0x04 tag is not hashed.
    init(uncompressedPublicKey: UnsafeRawBufferPointer) {
        let hash = Keccak256.hash(UnsafeRawBufferPointer(rebasing: uncompressedPublicKey[1...]))
        self.init(unchecked: Array(hash[12...]))
    }
}

/// Hex decoding for key and signature constructors, reporting failures as `CryptoError`.
func decodeHex(_ text: String) throws(CryptoError) -> [UInt8] {
    do { return try Hex.decode(text) } catch { throw .invalidHex(error.message) }
}
