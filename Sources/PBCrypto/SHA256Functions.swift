import Crypto

/// SHA-256 based primitives from swift-crypto (BoringSSL on Linux), behind byte-array signatures so that no other
/// module needs to import Crypto. Used for credit-window keys and call MACs (docs/PROTOCOL.md, section 8) and
/// for webhook signatures.
public enum SHA256Functions {
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: message))
    }

    /// HMAC-SHA256 (RFC 2104): 32 bytes.
    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// Compares two MACs in time independent of where they differ, so a forger learns nothing from timing.
    public static func constantTimeEquals(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// HKDF-SHA256 (RFC 5869) extract-and-expand.
    public static func hkdf(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], outputByteCount: Int) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: inputKeyMaterial),
            salt: salt,
            info: info,
            outputByteCount: outputByteCount
        )
        return key.withUnsafeBytes { Array($0) }
    }
}
