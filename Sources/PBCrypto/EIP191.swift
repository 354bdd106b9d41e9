/// EIP-191 version 0x45 (`personal_sign`): what wallets sign when shown a human-readable message.
public enum EIP191 {
    /// keccak256("\u{19}Ethereum Signed Message:\n" + decimal byte count + message).
    public static func personalMessageDigest(_ message: [UInt8]) -> [UInt8] {
        // The prefix stops a signed message from doubling as a signed transaction or a signed 32-byte hash.
        var prefixed = Array("\u{19}Ethereum Signed Message:\n\(message.count)".utf8)
        prefixed.append(contentsOf: message)
        return Keccak256.hash(prefixed)
    }

    /// The digest of a text message's UTF-8 bytes.
    public static func personalMessageDigest(_ message: String) -> [UInt8] {
        personalMessageDigest(Array(message.utf8))
    }

    /// The address whose key signed `message` with `personal_sign`.
    public static func recoverSigner(message: [UInt8], signature: Signature) throws(CryptoError) -> EthereumAddress {
        try signature.recoverAddress(digest: personalMessageDigest(message))
    }
}

extension PrivateKey {
    /// Signs `message` as `personal_sign` does; the result matches MetaMask and eth-account `sign_message`.
    public func signPersonalMessage(_ message: [UInt8]) -> Signature {
        do { return try sign(digest: EIP191.personalMessageDigest(message)) } catch {
            preconditionFailure("a keccak digest is always 32 bytes: \(error)")
        }
    }
}
