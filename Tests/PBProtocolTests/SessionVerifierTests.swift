import PBCore
import PBCrypto
import PBProtocol
import Testing

/// The stateless checks of docs/PROTOCOL.md section 10 on grants and vouchers built and signed here with fresh
/// keys: each test is a case a gateway operator (or a payer) relies on to keep money from moving when it must not.
@Suite struct SessionVerifierTests {
    let fixture = SessionFixture()

    // MARK: Time (check 11): `validAfter ≤ now < validUntil`, `now < voucher.validUntil`.

    @Test(arguments: [
        (SessionFixture.validAfter - 1, X402ErrorCode.pbGrantNotYetValid),
        (SessionFixture.validUntil, X402ErrorCode.pbGrantExpired),
        (SessionFixture.validUntil + 86_400, X402ErrorCode.pbGrantExpired),
    ])
    func grantOutsideItsValidityIsRefused(now: UInt64, code: X402ErrorCode) {
        let verdict = SessionVerifier().verify(grant: fixture.signedGrant(), now: now)
        expectRefusal(verdict, code, status: 402)
    }

    @Test(arguments: [SessionFixture.validAfter, SessionFixture.validUntil - 1])
    func grantIsUsableFromValidAfterUntilJustBeforeValidUntil(now: UInt64) {
        #expect(SessionVerifier().verify(grant: fixture.signedGrant(), now: now).refusal == nil)
    }

    @Test func voucherIsRefusedFromItsValidUntilOn() throws {
        let grant = try fixture.verifiedGrant()
        let voucher = fixture.signedVoucher(for: grant)
        let deadline = SessionFixture.voucherValidUntil
        #expect(SessionVerifier().verify(voucher: voucher, grant: grant, now: deadline - 1).refusal == nil)
        expectRefusal(
            SessionVerifier().verify(voucher: voucher, grant: grant, now: deadline), .pbVoucherExpired, status: 402)
        expectRefusal(
            SessionVerifier().verify(voucher: voucher, grant: grant, now: deadline + 1), .pbVoucherExpired, status: 402)
    }

    @Test func voucherUnderAnExpiredGrantIsRefusedAsAnExpiredGrant() throws {
        // A voucher valid longer than its grant must not stretch the grant: the grant's deadline wins.
        let grant = try fixture.verifiedGrant()
        let voucher = fixture.signedVoucher(for: grant) { $0.validUntil = SessionFixture.validUntil + 1_000 }
        let verdict = SessionVerifier().verify(voucher: voucher, grant: grant, now: SessionFixture.validUntil)
        expectRefusal(verdict, .pbGrantExpired, status: 402)
    }

    // MARK: Domain and signers (checks 9 and 10).

    @Test func grantForAnotherChainIsRefusedNamingBothChains() {
        let testnet = PBSessionDomain.make(chainId: 84532)
        let verdict = SessionVerifier(expectedDomain: testnet).verify(grant: fixture.signedGrant(), now: nil)
        expectRefusal(verdict, .pbGrantSignatureInvalid, status: 402)
        let message = verdict.refusal?.message ?? ""
        #expect(message.contains("chain 8453 "), "\(message)")
        #expect(message.contains("chain 84532 "), "\(message)")
    }

    @Test func grantForAnotherContractOnTheSameChainIsRefusedNamingBothContracts() throws {
        let escrow = try EthereumAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")
        let gatewayDomain = PBSessionDomain.make(chainId: 8453, verifyingContract: escrow)
        let verdict = SessionVerifier(expectedDomain: gatewayDomain).verify(grant: fixture.signedGrant(), now: nil)
        expectRefusal(verdict, .pbGrantSignatureInvalid, status: 402)
        let message = verdict.refusal?.message ?? ""
        #expect(message.contains(escrow.checksummed), "\(message)")
        #expect(message.contains(EthereumAddress.zero.checksummed), "\(message)")
    }

    @Test func grantForTheGatewaysOwnDomainIsAccepted() {
        let verdict = SessionVerifier(expectedDomain: fixture.domain).verify(grant: fixture.signedGrant(), now: nil)
        #expect(verdict.value?.grant.owner == fixture.owner.address)
    }

    @Test func grantSignedByAnotherWalletThanItsOwnerIsRefused() {
        let forged = SignedSessionGrant.sign(fixture.grant(), domain: fixture.domain, with: .random())
        expectRefusal(SessionVerifier().verify(grant: forged, now: nil), .pbGrantSignatureInvalid, status: 402)
    }

    @Test func voucherSignedByAnotherKeyThanTheSessionKeyIsRefused() throws {
        let grant = try fixture.verifiedGrant()
        let voucher = fixture.signedVoucher(for: grant, signer: .random())
        expectRefusal(
            SessionVerifier().verify(voucher: voucher, grant: grant, now: nil), .pbVoucherSignatureInvalid, status: 402)
    }

    @Test func voucherSpendingAnotherGrantIsRefusedAsUnknownGrant() throws {
        // Two grants for the same session key: a voucher for the second must not be charged to the first.
        let first = try fixture.verifiedGrant()
        let second = try fixture.verifiedGrant { $0.salt = Bytes32(unchecked: Array(repeating: 9, count: 32)) }
        #expect(first.grantId != second.grantId)
        let voucher = fixture.signedVoucher(for: second)
        expectRefusal(SessionVerifier().verify(voucher: voucher, grant: first, now: nil), .pbGrantUnknown, status: 402)
        #expect(SessionVerifier().verify(voucher: voucher, grant: second, now: nil).refusal == nil)
    }

    // MARK: Scope and limits (checks 13 and 19).

    @Test func voucherToAPayeeOutsideTheGrantsPayeesIsForbidden() throws {
        let grant = try fixture.verifiedGrant()
        let voucher = fixture.signedVoucher(for: grant) { $0.payee = PrivateKey.random().address }
        expectRefusal(
            SessionVerifier().verify(voucher: voucher, grant: grant, now: nil), .pbPayeeNotAllowed, status: 403)
    }

    @Test func grantWithNoPayeesAllowsAnyPayee() throws {
        let grant = try fixture.verifiedGrant { $0.payees = [] }
        let voucher = fixture.signedVoucher(for: grant) { $0.payee = PrivateKey.random().address }
        #expect(SessionVerifier().verify(voucher: voucher, grant: grant, now: nil).refusal == nil)
    }

    @Test(arguments: [
        (UInt128(50_000_000), nil as X402ErrorCode?),
        (UInt128(50_000_001), X402ErrorCode.pbLimitExceeded),
        (UInt128.max, X402ErrorCode.pbLimitExceeded),
    ])
    func cumulativeAmountIsCappedByTheTotalLimit(cumulativeAmount: UInt128, code: X402ErrorCode?) throws {
        let grant = try fixture.verifiedGrant()
        let voucher = fixture.signedVoucher(for: grant) { $0.cumulativeAmount = cumulativeAmount }
        let verdict = SessionVerifier().verify(voucher: voucher, grant: grant, now: SessionFixture.validAfter)
        if let code {
            expectRefusal(verdict, code, status: 402)
        } else {
            #expect(verdict.refusal == nil, "spending exactly the total limit is allowed")
        }
    }

    // MARK: Signature encodings (check 7).

    @Test func signaturesWithRecoveryIdZeroOrOneAreAcceptedLike27And28() throws {
        // Some signers (hardware wallets, raw libsecp256k1) emit v as the bare recovery id; the protocol accepts it.
        let signedGrant = fixture.signedGrant()
        let rawGrant = SignedSessionGrant(
            message: signedGrant.message, domain: signedGrant.domain, signatureBytes: subtracting27(signedGrant))
        let grant = try SessionVerifier().verify(grant: rawGrant, now: SessionFixture.validAfter).get()
        #expect(grant.grantId == signedGrant.digest)
        #expect(grant.grant.owner == fixture.owner.address)

        let signedVoucher = fixture.signedVoucher(for: grant)
        let rawVoucher = SignedPaymentVoucher(
            message: signedVoucher.message, domain: signedVoucher.domain, signatureBytes: subtracting27(signedVoucher))
        let voucher = try SessionVerifier().verify(voucher: rawVoucher, grant: grant, now: SessionFixture.validAfter)
            .get()
        #expect(voucher.sessionPublicKey == fixture.sessionKey.publicKey)
    }

    @Test(arguments: [UInt8(2), 26, 29, 255])
    func signaturesWithAnyOtherVAreMalformed(v: UInt8) {
        var bytes = fixture.signedGrant().signatureBytes
        bytes[64] = v
        let signed = SignedSessionGrant(message: fixture.grant(), domain: fixture.domain, signatureBytes: bytes)
        expectRefusal(SessionVerifier().verify(grant: signed, now: nil), .pbSignatureMalformed, status: 400)
    }

    @Test func signatureOfTheWrongLengthIsMalformed() {
        let bytes = Array(fixture.signedGrant().signatureBytes.dropLast())
        let signed = SignedSessionGrant(message: fixture.grant(), domain: fixture.domain, signatureBytes: bytes)
        expectRefusal(SessionVerifier().verify(grant: signed, now: nil), .pbSignatureMalformed, status: 400)
    }

    private func subtracting27<Message: EIP712Struct & Hashable>(_ signed: SignedMessage<Message>) -> [UInt8] {
        var bytes = signed.signatureBytes
        #expect(bytes[64] == 27 || bytes[64] == 28)
        bytes[64] -= 27
        return bytes
    }
}
