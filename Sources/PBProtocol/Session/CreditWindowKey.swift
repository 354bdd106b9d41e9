import PBCore
import PBCrypto

/// The symmetric key of one credit window, and the MACs that authenticate calls inside it
/// (docs/PROTOCOL.md, section 8).
///
/// Both sides derive the same key without sending any secret: ECDH between the session key and the gateway key,
/// then HKDF-SHA256 salted with the window id. A captured call header therefore gives a thief nothing to forge
/// another call with.
public struct CreditWindowKey: Sendable {
    public static let derivationInfo = Array("pb-session/window/v1".utf8)
    public static let callDomain = Array("pb-session/call/v1".utf8)
    public static let receiptDomain = Array("pb-session/receipt/v1".utf8)

    public let windowId: Bytes32
    private let key: [UInt8]
    /// The key's HMAC pads, hashed once per window instead of once per call and receipt.
    private let hmac: HMACSHA256Key

    /// The agent's side: its session key and the gateway's public key from the 402's `extra.gatewayPublicKey`.
    public init(sessionKey: PrivateKey, gatewayPublicKey: PublicKey, windowId: Bytes32) {
        self.init(sharedSecret: sessionKey.sharedSecret(with: gatewayPublicKey), windowId: windowId)
    }

    /// The gateway's side: its key and the session public key recovered from the window's voucher.
    public init(gatewayKey: PrivateKey, sessionPublicKey: PublicKey, windowId: Bytes32) {
        self.init(sharedSecret: gatewayKey.sharedSecret(with: sessionPublicKey), windowId: windowId)
    }

    init(sharedSecret: [UInt8], windowId: Bytes32) {
        self.windowId = windowId
        let key = SHA256Functions.hkdf(
            inputKeyMaterial: sharedSecret, salt: windowId.bytes, info: Self.derivationInfo, outputByteCount: 32)
        self.key = key
        self.hmac = HMACSHA256Key(key)
    }

    /// The key bytes, for tests against the shared vectors only; never log them.
    public var keyBytesForTesting: [UInt8] { key }

    /// `utf8("pb-session/call/v1") ‖ windowId ‖ uint64be(callIndex) ‖ requestBinding ‖ uint128be(amount)`.
    public static func callMessage(
        windowId: Bytes32, callIndex: UInt64, requestBinding: Bytes32, amount: UInt128
    ) -> [UInt8] {
        var message = callDomain
        message.reserveCapacity(callDomain.count + 32 + 8 + 32 + 16)
        message += windowId.bytes
        message += bigEndianBytes(callIndex)
        message += requestBinding.bytes
        message += bigEndianBytes(amount)
        return message
    }

    public func mac(callIndex: UInt64, requestBinding: Bytes32, amount: UInt128) -> [UInt8] {
        hmac.authenticationCode(
            for: Self.callMessage(windowId: windowId, callIndex: callIndex, requestBinding: requestBinding, amount: amount))
    }

    /// `HMAC-SHA256(windowKey, utf8("pb-session/receipt/v1") ‖ receiptDigest)`: a window call's receipt, which the
    /// gateway authenticates with the window key instead of an ECDSA signature (docs/PROTOCOL.md, section 9). The
    /// label keeps receipt MACs and call MACs apart, so one can never be passed off as the other.
    public func receiptMAC(_ receipt: PaymentReceipt, domain: EIP712Domain) -> [UInt8] {
        hmac.authenticationCode(for: Self.receiptMessage(receipt, domain: domain))
    }

    public func isValidReceiptMAC(_ candidate: [UInt8], receipt: PaymentReceipt, domain: EIP712Domain) -> Bool {
        hmac.isValid(candidate, for: Self.receiptMessage(receipt, domain: domain))
    }

    public func isValidMAC(_ candidate: [UInt8], callIndex: UInt64, requestBinding: Bytes32, amount: UInt128) -> Bool {
        hmac.isValid(
            candidate,
            for: Self.callMessage(windowId: windowId, callIndex: callIndex, requestBinding: requestBinding, amount: amount))
    }

    /// `utf8("pb-session/receipt/v1") ‖ receiptDigest`.
    static func receiptMessage(_ receipt: PaymentReceipt, domain: EIP712Domain) -> [UInt8] {
        receiptDomain + EIP712.digest(domain: domain, message: receipt)
    }
}

/// The big-endian bytes of a fixed-width unsigned integer (uint64be, uint128be in the protocol's byte layouts).
func bigEndianBytes<Integer: FixedWidthInteger & UnsignedInteger>(_ value: Integer) -> [UInt8] {
    let byteCount = Integer.bitWidth / 8
    return (0..<byteCount).map { index in UInt8(truncatingIfNeeded: value >> ((byteCount - 1 - index) * 8)) }
}
