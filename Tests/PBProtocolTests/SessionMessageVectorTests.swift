import PBCore
import PBCrypto
import PBProtocol
import Testing

@Suite struct SessionMessageVectorTests {
    @Test func encodedTypesAreThePinnedOnes() throws {
        let encoded = try #require(SessionVectors.document["encodedTypes"])
        #expect(SessionGrant.eip712EncodedType == encoded["SessionGrant"]?.stringValue)
        #expect(PaymentVoucher.eip712EncodedType == encoded["PaymentVoucher"]?.stringValue)
        #expect(PaymentReceipt.eip712EncodedType == encoded["PaymentReceipt"]?.stringValue)
    }

    @Test(arguments: SessionVectors.grants)
    func grantMatchesEthAccount(entry: SessionVectors.Entry) throws {
        guard case .grant(let signed) = try SessionDocument.parse(entry.document) else {
            Issue.record("not parsed as a grant")
            return
        }
        #expect(Hex.encode(signed.message.eip712StructHash()) == (try entry.text("structHash")))
        #expect(signed.digest.hex == (try entry.text("grantId")))
        // The generic EIP-712 path over the same JSON agrees with the Swift-typed fast path.
        let generic = try TypedData(jsonValue: try #require(entry["typedData"]))
        #expect(Hex.encode(generic.digest()) == signed.digest.hex)
        // Our RFC 6979 signature is eth-account's, byte for byte.
        let owner = try PrivateKey(hex: try entry.text("ownerPrivateKey"))
        let ours = SignedSessionGrant.sign(signed.message, domain: signed.domain, with: owner)
        #expect(Hex.encode(ours.signatureBytes) == (try entry.text("signature")))
        let verdict = SessionVerifier().verify(grant: signed, now: 1_764_000_000)
        #expect(verdict.value?.grant.owner == (try EthereumAddress(try entry.text("owner"))))
        #expect(verdict.refusal == nil)
    }

    @Test(arguments: SessionVectors.vouchers)
    func voucherMatchesEthAccountAndVerifies(entry: SessionVectors.Entry) throws {
        let grant = try verifiedFirstGrant()
        guard case .voucher(let signed) = try SessionDocument.parse(entry.document) else {
            Issue.record("not parsed as a voucher")
            return
        }
        #expect(Hex.encode(signed.message.eip712StructHash()) == (try entry.text("structHash")))
        #expect(signed.digest.hex == (try entry.text("voucherId")))
        let sessionKey = try PrivateKey(hex: try entry.text("sessionPrivateKey"))
        let ours = SignedPaymentVoucher.sign(signed.message, domain: signed.domain, with: sessionKey)
        #expect(Hex.encode(ours.signatureBytes) == (try entry.text("signature")))
        let verdict = SessionVerifier().verify(voucher: signed, grant: grant, now: 1_764_000_100)
        #expect(verdict.refusal == nil)
        #expect(verdict.value?.sessionPublicKey.address == sessionKey.address)
    }

    @Test(arguments: SessionVectors.entries("requestBindings"))
    func requestBindingMatches(entry: SessionVectors.Entry) throws {
        let binding = RequestBinding.compute(method: try entry.text("method"), target: try entry.text("target"))
        #expect(binding.hex == (try entry.text("binding")))
    }

    @Test(arguments: SessionVectors.entries("receipts"))
    func receiptIsDerivedAndSignedLikeThePython(entry: SessionVectors.Entry) throws {
        guard case .receipt(let signed) = try SessionDocument.parse(entry.document) else {
            Issue.record("not parsed as a receipt")
            return
        }
        let voucherId = try Bytes32(hex: try entry.text("voucherId"))
        let derived = PaymentReceipt.receiptId(voucherId: voucherId, callIndex: signed.message.callIndex)
        #expect(derived.hex == (try entry.text("receiptId")))
        #expect(signed.digest.hex == (try entry.text("digest")))
        #expect(try signed.recoverSigner().address == EthereumAddress(try entry.text("gateway")))
    }

    @Test(arguments: SessionVectors.tampered)
    func tamperedInputIsRefusedWithTheRightCode(entry: SessionVectors.Entry) throws {
        let expected = X402ErrorCode(rawValue: try entry.text("expectedCode"))
        let refusal: PaymentRefusal?
        do {
            switch try SessionDocument.parse(entry.document) {
            case .grant(let signed):
                refusal = SessionVerifier().verify(grant: signed, now: nil).refusal
            case .voucher(let signed):
                refusal = SessionVerifier().verify(voucher: signed, grant: try verifiedFirstGrant(), now: nil).refusal
            case .receipt:
                refusal = nil
            }
        } catch let error as PaymentRefusal {
            refusal = error
        }
        #expect(refusal?.code == expected, "\(refusal?.description ?? "accepted")")
    }

    @Test func documentRoundTripsThroughItsJSON() throws {
        for entry in SessionVectors.grants + SessionVectors.vouchers {
            let document = try SessionDocument.parse(entry.document)
            let text: String
            switch document {
            case .grant(let signed): text = signed.documentJSON.serialized()
            case .voucher(let signed): text = signed.documentJSON.serialized()
            case .receipt(let signed): text = signed.documentJSON.serialized()
            }
            #expect(try SessionDocument.parse(JSONValue.parse(text)) == document)
        }
    }
}

/// The first grant of the vectors, verified: every voucher in the file spends it.
func verifiedFirstGrant() throws -> VerifiedGrant {
    let entry = try #require(SessionVectors.grants.first)
    guard case .grant(let signed) = try SessionDocument.parse(entry.document) else {
        throw PaymentRefusal(.invalidPayload, "first grant vector is not a grant")
    }
    return try SessionVerifier().verify(grant: signed, now: nil).get()
}
