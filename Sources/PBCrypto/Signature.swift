import CSecp256k1
import PBCore

/// A recoverable secp256k1 signature in Ethereum's 65-byte r ‖ s ‖ v form.
///
/// Every value of this type is canonical: r and s in 1..<n, s ≤ n/2 (EIP-2), recovery id 0 or 1. Parsing refuses
/// anything else, so one signed message has exactly one accepted signature and replay checks keyed on signature
/// bytes cannot be dodged by malleating s.
public struct Signature: Sendable, Hashable, CustomStringConvertible {
    /// r (32) ‖ s (32), big-endian.
    let compactBytes: [UInt8]
    /// 0 or 1: the parity of the nonce point's y coordinate.
    public let recoveryID: UInt8

    /// Parses r ‖ s ‖ v with v in {27, 28} (what eth-account and MetaMask produce) or {0, 1} (raw recovery id).
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 65 else { throw .invalidSignatureLength(bytes.count) }
        let recoveryID: UInt8
        switch bytes[64] {
        case 0, 1: recoveryID = bytes[64]
        case 27, 28: recoveryID = bytes[64] - 27
        default: throw .invalidRecoveryID(bytes[64])
        }
        // withUnsafeBytes rethrows untyped errors, so the closure returns the error instead of throwing it.
        let scalarError: CryptoError? = bytes.withUnsafeBytes { raw in
            guard Secp256k1Order.isValidScalar(UnsafeRawBufferPointer(rebasing: raw[0..<32])) else { return .invalidR }
            let s = UnsafeRawBufferPointer(rebasing: raw[32..<64])
            guard Secp256k1Order.isValidScalar(s) else { return .invalidS }
            return Secp256k1Order.isHigh(s) ? .highS : nil
        }
        if let scalarError { throw scalarError }
        self.init(compactBytes: Array(bytes[0..<64]), recoveryID: recoveryID)
    }

    public init(hex: String) throws(CryptoError) {
        try self.init(bytes: decodeHex(hex))
    }

    /// For values libsecp256k1 produced, which are canonical already.
    init(compactBytes: [UInt8], recoveryID: UInt8) {
        self.compactBytes = compactBytes
        self.recoveryID = recoveryID
    }

    /// r ‖ s ‖ v with v = 27 or 28.
    public var bytes: [UInt8] { compactBytes + [v] }

    /// `0x`-prefixed lower-case hex of `bytes` (130 digits).
    public var hex: String { Hex.encode(bytes) }

    public var r: [UInt8] { Array(compactBytes[0..<32]) }
    public var s: [UInt8] { Array(compactBytes[32..<64]) }
    /// 27 or 28, the Ethereum message convention (and the `v` of EIP-3009/EIP-2612 calls).
    public var v: UInt8 { recoveryID + 27 }

    public var description: String { hex }

    /// The public key that produced this signature over `digest`.
    public func recoverPublicKey(digest: [UInt8]) throws(CryptoError) -> PublicKey {
        PublicKey(try recover(digest: digest))
    }

    /// The address that produced this signature over `digest`: the hot path of every voucher check.
    public func recoverAddress(digest: [UInt8]) throws(CryptoError) -> EthereumAddress {
        var key = try recover(digest: digest)
        // Serialize into a stack buffer and hash it in place: no intermediate PublicKey or array.
        return withUnsafeTemporaryAllocation(byteCount: 65, alignment: 1) { buffer in
            var length = 65
            _ = secp256k1_ec_pubkey_serialize(
                Secp256k1Context.shared.pointer, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length,
                &key, UInt32(SECP256K1_EC_UNCOMPRESSED))
            return EthereumAddress(uncompressedPublicKey: UnsafeRawBufferPointer(buffer))
        }
    }

    private func recover(digest: [UInt8]) throws(CryptoError) -> secp256k1_pubkey {
        guard digest.count == 32 else { throw .invalidDigestLength(digest.count) }
        let context = Secp256k1Context.shared.pointer
        var recoverable = secp256k1_ecdsa_recoverable_signature()
        var key = secp256k1_pubkey()
        let parsed = secp256k1_ecdsa_recoverable_signature_parse_compact(
            context, &recoverable, compactBytes, Int32(recoveryID))
        guard parsed == 1, secp256k1_ecdsa_recover(context, &key, &recoverable, digest) == 1 else {
            throw .recoveryFailed
        }
        return key
    }
}
