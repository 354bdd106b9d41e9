/// Why a key, signature or digest was refused. One struct over a private code, so new cases can be added
/// without breaking callers that switch on it; compare against the static members (`error == .highS`).
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidSignatureLength(Int)
        case invalidRecoveryID(UInt8)
        case invalidR
        case invalidS
        case highS
        case invalidPrivateKey
        case invalidPublicKey
        case invalidDigestLength(Int)
        case invalidHex(String)
        case recoveryFailed
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// A signature must be exactly 65 bytes: r (32) ‖ s (32) ‖ v (1).
    public static func invalidSignatureLength(_ count: Int) -> CryptoError { CryptoError(.invalidSignatureLength(count)) }
    /// v must be 0, 1, 27 or 28.
    public static func invalidRecoveryID(_ v: UInt8) -> CryptoError { CryptoError(.invalidRecoveryID(v)) }
    /// r is 0 or not below the curve order n.
    public static let invalidR = CryptoError(.invalidR)
    /// s is 0 or not below the curve order n.
    public static let invalidS = CryptoError(.invalidS)
    /// s > n/2: the malleable twin of a valid signature (EIP-2).
    public static let highS = CryptoError(.highS)
    /// A private key must be 32 bytes with 0 < k < n.
    public static let invalidPrivateKey = CryptoError(.invalidPrivateKey)
    /// Not a 33- or 65-byte SEC 1 encoding of a point on secp256k1.
    public static let invalidPublicKey = CryptoError(.invalidPublicKey)
    /// Signing and recovery take a 32-byte digest, never a raw message.
    public static func invalidDigestLength(_ count: Int) -> CryptoError { CryptoError(.invalidDigestLength(count)) }
    public static func invalidHex(_ reason: String) -> CryptoError { CryptoError(.invalidHex(reason)) }
    /// The signature is well formed but no public key matches it for this digest.
    public static let recoveryFailed = CryptoError(.recoveryFailed)

    public var description: String {
        switch code {
        case .invalidSignatureLength(let count):
            "a signature has 65 bytes (r ‖ s ‖ v), got \(count)"
        case .invalidRecoveryID(let v):
            "signature v must be 27 or 28 (or 0 or 1), got \(v); EIP-155 values (35 and up) belong to transactions, not messages"
        case .invalidR:
            "signature r must be in 1..<n (the secp256k1 group order)"
        case .invalidS:
            "signature s must be in 1..<n (the secp256k1 group order)"
        case .highS:
            "signature s is above n/2; only the low-s form is accepted (EIP-2 malleability rule)"
        case .invalidPrivateKey:
            "a private key must be 32 bytes and in 1..<n (the secp256k1 group order)"
        case .invalidPublicKey:
            "not a valid secp256k1 public key (expected 33 compressed or 65 uncompressed bytes of a curve point)"
        case .invalidDigestLength(let count):
            "a digest has 32 bytes, got \(count)"
        case .invalidHex(let reason):
            "invalid hex: \(reason)"
        case .recoveryFailed:
            "no public key can be recovered from this signature and digest"
        }
    }
}
