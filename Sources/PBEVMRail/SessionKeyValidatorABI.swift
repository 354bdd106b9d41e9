import PBCore
import PBCrypto
import PBEVM
import PBProtocol

/// The SessionKeyValidator contract's calls and events as the rail uses them (contracts/SessionKeyValidator.vy).
public enum SessionKeyValidatorABI {
    public static let grantType = try! ABI.ValueType(
        "(address,address,address,address[],string[],uint128,uint128,uint128,uint64,uint32,uint64,uint64,bytes32)")
    public static let claimsType = try! ABI.ValueType(
        "((bytes32,address,uint128,uint64,bytes32,uint64),uint8,bytes32,bytes32,uint128)[]")
    public static let claimType = try! ABI.ValueType(
        "((bytes32,address,uint128,uint64,bytes32,uint64),uint8,bytes32,bytes32,uint128)")

    /// topic 0 of `VoucherSettled(grantId, payee, sequence, settledCumulativeAmount, paid)`.
    public static let voucherSettledTopic = Bytes32(
        unchecked: Keccak256.hash(Array("VoucherSettled(bytes32,address,uint64,uint128,uint128)".utf8)))
    /// topic 0 of `VoucherRejected(grantId, payee, sequence, reason)`.
    public static let voucherRejectedTopic = Bytes32(
        unchecked: Keccak256.hash(Array("VoucherRejected(bytes32,address,uint64,uint8)".utf8)))

    /// The contract's reasons for skipping a claim (VoucherRejected.reason), in words for a settlement record.
    public static func rejectionReason(_ code: UInt8) -> String {
        switch code {
        case 1: "grant unknown to the contract"
        case 2: "the rail's signer is not the payee's settler (the payee must call setSettler)"
        case 3: "grant not valid yet"
        case 4: "grant expired beyond the settlement period"
        case 5: "session key frozen"
        case 6: "payee not allowed by the grant"
        case 7: "voucher signature malformed"
        case 8: "voucher signature invalid"
        case 9: "nothing to settle (replay or older voucher)"
        case 10: "over the grant's limit"
        case 11: "owner's escrow insufficient"
        default: "rejected with reason \(code)"
        }
    }

    /// A SessionGrant as the contract's struct (field order of docs/PROTOCOL.md section 4).
    public static func grantValue(_ grant: SessionGrant) -> ABI.Value {
        .tuple([
            .address(grant.owner), .address(grant.sessionKey), .address(grant.asset),
            .array(grant.payees.map { .address($0) }), .array(grant.services.map { .string($0) }),
            .uint(grant.totalLimit), .uint(grant.perPaymentLimit), .uint(grant.periodLimit),
            .uint(UInt128(grant.periodSeconds)), .uint(UInt128(grant.maxCallsPerMinute)), .uint(UInt128(grant.validAfter)),
            .uint(UInt128(grant.validUntil)), .fixedBytes(grant.salt.bytes),
        ])
    }

    /// One claim of `validateAndRecord`: the voucher, its signature split into v, r, s, and what was charged.
    /// A signature that is not 65 bytes is sent as zeros: the contract rejects it as malformed and pays nothing.
    public static func claimValue(_ voucher: SignedPaymentVoucher, chargedCumulativeAmount: UInt128) -> ABI.Value {
        let signature = voucher.signatureBytes.count == 65 ? voucher.signatureBytes : [UInt8](repeating: 0, count: 65)
        let message = voucher.message
        return .tuple([
            .tuple([
                .fixedBytes(message.grantId.bytes), .address(message.payee), .uint(message.cumulativeAmount),
                .uint(UInt128(message.sequence)), .fixedBytes(message.requestBinding.bytes),
                .uint(UInt128(message.validUntil)),
            ]),
            .uint(UInt128(signature[64] < 27 ? signature[64] + 27 : signature[64])),
            .fixedBytes(Array(signature[0..<32])), .fixedBytes(Array(signature[32..<64])),
            .uint(chargedCumulativeAmount),
        ])
    }

    public static func validateAndRecord(_ claims: [(voucher: SignedPaymentVoucher, charged: UInt128)]) throws -> [UInt8] {
        try ABI.callData(
            "validateAndRecord",
            [(claimsType, .array(claims.map { claimValue($0.voucher, chargedCumulativeAmount: $0.charged) }))])
    }

    /// `validateAndRecordOne(claim)`: one claim, settled as `validateAndRecord` would, without the memory of the
    /// batch entry's 128-claim argument (~8.7k gas a lone claim would pay for nothing).
    public static func validateAndRecordOne(_ voucher: SignedPaymentVoucher, charged: UInt128) throws -> [UInt8] {
        try ABI.callData("validateAndRecordOne", [(claimType, claimValue(voucher, chargedCumulativeAmount: charged))])
    }

    public static func createSessionKey(_ grant: SessionGrant) throws -> [UInt8] {
        try ABI.callData("createSessionKey", [(grantType, grantValue(grant))])
    }

    public static func registerSessionGrant(_ signed: SignedSessionGrant) throws -> [UInt8] {
        try ABI.callData("registerSessionGrant", [(grantType, grantValue(signed.message)), (.bytes, .bytes(signed.signatureBytes))])
    }

    /// `reserveGrant(grantId)`, sent by the grant's owner: moves the grant's remaining limit out of the owner's pooled
    /// escrow and keeps it for the grant alone, so every voucher within the limit is funded and its settlement skips
    /// the pool (~5.4k gas less per settlement). The funds return to the pool with `releaseGrant` after the grant ends.
    public static func reserveGrant(_ grantId: Bytes32) throws -> [UInt8] {
        try ABI.callData("reserveGrant", [(.fixedBytes(count: 32), .fixedBytes(grantId.bytes))])
    }

    /// `reservedAmount(grantId)`: what a reserved grant still holds for its payees (0 when not reserved).
    public static func reservedAmount(_ grantId: Bytes32) throws -> [UInt8] {
        try ABI.callData("reservedAmount", [(.fixedBytes(count: 32), .fixedBytes(grantId.bytes))])
    }

    /// `getGrant(grantId)`'s first word is the owner: zero when the contract does not know the grant.
    public static func getGrant(_ grantId: Bytes32) throws -> [UInt8] {
        try ABI.callData("getGrant", [(.fixedBytes(count: 32), .fixedBytes(grantId.bytes))])
    }

    public static func settledAmount(grantId: Bytes32, payee: EthereumAddress) throws -> [UInt8] {
        try ABI.callData("settledAmount", [(.fixedBytes(count: 32), .fixedBytes(grantId.bytes)), (.address, .address(payee))])
    }

    public static func setSettler(_ settler: EthereumAddress, enabled: Bool) throws -> [UInt8] {
        try ABI.callData("setSettler", [(.address, .address(settler)), (.bool, .bool(enabled))])
    }

    /// The last 16 bytes of a 32-byte word as an amount (every amount here is a uint128 or a token balance).
    public static func uint128(word: ArraySlice<UInt8>) -> UInt128? {
        guard word.count == 32, word.prefix(16).allSatisfy({ $0 == 0 }) else { return nil }
        return word.suffix(16).reduce(0) { $0 << 8 | UInt128($1) }
    }
}
