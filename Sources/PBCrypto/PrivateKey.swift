import CSecp256k1
import PBCore

/// A secp256k1 private key (a session key or a wallet key).
///
/// Printing, interpolating or dumping one shows its address, never the secret: keys end up in structs that end up
/// in logs. Reach the secret only deliberately, through `rawBytes` or `hex`, to write a key file.
public struct PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let secret: [UInt8]
    public let publicKey: PublicKey

    /// 32 big-endian bytes in 1..<n.
    public init(bytes: [UInt8]) throws(CryptoError) {
        let context = Secp256k1Context.shared.pointer
        guard bytes.count == 32, secp256k1_ec_seckey_verify(context, bytes) == 1 else { throw .invalidPrivateKey }
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(context, &key, bytes) == 1 else { throw .invalidPrivateKey }
        secret = bytes
        publicKey = PublicKey(key)
    }

    /// 64 hex digits, `0x` optional.
    public init(hex: String) throws(CryptoError) {
        try self.init(bytes: decodeHex(hex))
    }

    /// A fresh key from the operating system's secure random source.
    public static func random() -> PrivateKey {
        var generator = SystemRandomNumberGenerator()
        while true {
            let candidate = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            // Out of range only with probability about 2^-128 (zero or at least n); draw again then.
            if let key = try? PrivateKey(bytes: candidate) { return key }
        }
    }

    /// The 32 secret bytes, for writing a key file. Treat the result as a secret.
    public var rawBytes: [UInt8] { secret }

    /// `0x` + 64 hex digits of the secret, for writing a key file. Treat the result as a secret.
    public var hex: String { Hex.encode(secret) }

    public var address: EthereumAddress { publicKey.address }

    /// Signs a 32-byte digest with the RFC 6979 deterministic nonce, so the same key and digest always give the
    /// same signature (the one eth-account gives). libsecp256k1 always returns the low-s form.
    public func sign(digest: [UInt8]) throws(CryptoError) -> Signature {
        guard digest.count == 32 else { throw .invalidDigestLength(digest.count) }
        let context = Secp256k1Context.shared.pointer
        var recoverable = secp256k1_ecdsa_recoverable_signature()
        // The key was verified at init and RFC 6979 retries internally, so signing cannot fail.
        let signed = secp256k1_ecdsa_sign_recoverable(context, &recoverable, digest, secret, nil, nil)
        precondition(signed == 1, "secp256k1_ecdsa_sign_recoverable failed with a verified key")
        var compact = [UInt8](repeating: 0, count: 64)
        var recoveryID: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(context, &compact, &recoveryID, &recoverable)
        return Signature(compactBytes: compact, recoveryID: UInt8(recoveryID))
    }

    public var description: String { "PrivateKey(address: \(address))" }
    public var debugDescription: String { description }
    /// `dump()` and reflection-based printers see only the address.
    public var customMirror: Mirror { Mirror(self, children: ["address": address]) }
}

extension PrivateKey {
    /// Elliptic-curve Diffie-Hellman: the x-coordinate (32 big-endian bytes) of `self × publicKey`.
    ///
    /// Raw x rather than libsecp256k1's default SHA-256 of the compressed point, because that is what every other
    /// stack (OpenSSL, Python's `cryptography`, Web Crypto) returns; the protocol runs it through HKDF anyway
    /// (docs/PROTOCOL.md, section 8). Both sides get the same bytes: a × (b·G) = b × (a·G).
    public func sharedSecret(with publicKey: PublicKey) -> [UInt8] {
        var point = publicKey.parsed()
        var output = [UInt8](repeating: 0, count: 32)
        let copyX: secp256k1_ecdh_hash_function = { output, x, _, _ in
            guard let output, let x else { return 0 }
            output.update(from: x, count: 32)
            return 1
        }
        let result = secp256k1_ecdh(Secp256k1Context.shared.pointer, &output, &point, secret, copyX, nil)
        // Both keys were validated when they were made, so the product is never the point at infinity.
        precondition(result == 1, "secp256k1_ecdh failed with validated keys")
        return output
    }
}
