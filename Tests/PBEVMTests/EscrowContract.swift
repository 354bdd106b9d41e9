import Foundation
import PBCore
import PBCrypto
import PBProtocol
import PBTestSupport

@testable import PBEVM

/// The Vyper contracts of `contracts/`, compiled by the pinned `vyper` and deployed on a DevChain by the tests.
enum EscrowContract {
    /// `vyper -f bytecode <path>`: init code, constructor arguments to be appended.
    static func bytecode(_ relativePath: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["vyper", "-f", "bytecode", RepositoryFiles.url(relativePath).path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw DevChainError(message: "vyper failed on \(relativePath)") }
        return try Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static let grantType = try! ABI.ValueType(
        "(address,address,address,address[],string[],uint128,uint128,uint128,uint64,uint32,uint64,uint64,bytes32)")
    static let claimsType = try! ABI.ValueType(
        "((bytes32,address,uint128,uint64,bytes32,uint64),uint8,bytes32,bytes32,uint128)[]")

    /// A SessionGrant as the contract's struct (field order of docs/PROTOCOL.md section 4).
    static func grantValue(_ grant: SessionGrant) -> ABI.Value {
        .tuple([
            .address(grant.owner), .address(grant.sessionKey), .address(grant.asset),
            .array(grant.payees.map { .address($0) }), .array(grant.services.map { .string($0) }),
            .uint(grant.totalLimit), .uint(grant.perPaymentLimit), .uint(grant.periodLimit),
            .uint(UInt128(grant.periodSeconds)), .uint(UInt128(grant.maxCallsPerMinute)), .uint(UInt128(grant.validAfter)),
            .uint(UInt128(grant.validUntil)), .fixedBytes(grant.salt.bytes),
        ])
    }

    /// One claim of `validateAndRecord`: the voucher, its signature split into v, r, s, and what was charged.
    static func claimValue(_ voucher: SignedPaymentVoucher, chargedCumulativeAmount: UInt128) -> ABI.Value {
        let signature = voucher.signatureBytes
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
}
