import PBCore
import PBCrypto
import PBProtocol
import Testing

/// pb-session inside x402's own models and headers, as the official `x402` Python package writes them.
@Suite struct SessionWireVectorTests {
    static let wire = SessionVectors.document["wire"] ?? .null
    static let domain = PBSessionDomain.make(chainId: 8453)

    @Test func our402ParsesAndAnExactOnlyClientStillFindsItsEntry() throws {
        let header = try #require(Self.wire["paymentRequired"]?["headerValue"]?.stringValue)
        let required = try PaymentHeaderCodec.decode(header, as: PaymentRequired.self)
        #expect(required.accepts.map(\.scheme) == ["pb-session", "exact"])
        #expect(required.accepts(schemes: ["exact"]).count == 1)
        let entry = try #require(required.accepts.first)
        let extra = try SessionRequirementsExtra(extra: entry.extra)
        #expect(extra.domain == Self.domain)
        #expect(extra.service == "chat")
        #expect(extra.quoteExpiresAt == 1_764_000_060)
        #expect(extra.maxWindowCredit == 1_000_000)
        let gatewayKey = try #require(SessionVectors.entries("windows").first?["gatewayPublicKey"]?.stringValue)
        #expect(Hex.encode(extra.gatewayPublicKey.compressedBytes) == gatewayKey)
        #expect(extra.requestBinding == RequestBinding.compute(method: "POST", target: "/v1/chat"))
        // What we would send is what the reference wrote, field for field.
        #expect(extra.jsonValue.isEquivalent(to: entry.extra))
    }

    @Test func aRefusalCarriesTheChannelStateForResynchronisation() throws {
        let header = try #require(Self.wire["refusal"]?["headerValue"]?.stringValue)
        let required = try PaymentHeaderCodec.decode(header, as: PaymentRequired.self)
        #expect(required.error == "pb_cumulative_mismatch")
        let channel = try #require(try SessionRequirementsExtra(extra: required.accepts[0].extra).channel)
        #expect(channel.chargedCumulativeAmount == 30_000)
        #expect(channel.lastSequence == 3)
        #expect(channel.grantId.hex == SessionVectors.grants.first?["grantId"]?.stringValue)
    }

    @Test(arguments: SessionVectors.entries("wire.payloads"))
    func paymentHeaderFromTheReferenceParsesAndVerifies(entry: SessionVectors.Entry) throws {
        let payload = try PaymentHeaderCodec.decode(try entry.text("headerValue"), as: PaymentPayload.self)
        #expect(payload.scheme == SessionPaymentPayload.scheme)
        let session = try SessionPaymentPayload(payload: payload.payload, domain: Self.domain)
        let expected = try #require(entry["expected"])
        switch session {
        case .voucher(let grant, let voucher):
            #expect(expected["type"]?.stringValue == "voucher")
            #expect(voucher.digest.hex == expected["voucherId"]?.stringValue)
            let verifiedGrant: VerifiedGrant
            if let grant {
                #expect(grant.digest.hex == expected["grantId"]?.stringValue)
                verifiedGrant = try SessionVerifier(expectedDomain: Self.domain).verify(grant: grant, now: nil).get()
            } else {
                #expect(expected["grantId"] == nil)
                verifiedGrant = try verifiedFirstGrant()
            }
            let verdict = SessionVerifier(expectedDomain: Self.domain).verify(voucher: voucher, grant: verifiedGrant, now: nil)
            #expect(verdict.refusal == nil)
        case .call(let call):
            #expect(expected["type"]?.stringValue == "call")
            #expect(call.windowId.hex == expected["windowId"]?.stringValue)
            #expect(call.grantId.hex == expected["grantId"]?.stringValue)
            #expect(String(call.callIndex) == expected["callIndex"]?.stringValue)
            #expect(Hex.encode(call.mac) == expected["mac"]?.stringValue)
        }
        // Our wire form equals the reference's, and survives our own header codec.
        #expect(session.jsonValue.isEquivalent(to: try #require(entry["payload"])))
        var ours = payload
        ours.payload = session.jsonValue
        let again = try PaymentHeaderCodec.decode(try PaymentHeaderCodec.encode(ours), as: PaymentPayload.self)
        #expect(try SessionPaymentPayload(payload: again.payload, domain: Self.domain) == session)
    }

    @Test func receiptInThePaymentResponseIsSignedByTheGateway() throws {
        let settle = try #require(Self.wire["settleResponse"])
        let response = try PaymentHeaderCodec.decode(
            try #require(settle["headerValue"]?.stringValue), as: SettleResponse.self)
        #expect(response.success)
        #expect(response.transaction == "")
        let receipt = try SessionReceiptExtra.parse(try #require(response.extra), domain: Self.domain)
        #expect(receipt.message.receiptId.hex == settle["receiptId"]?.stringValue)
        #expect(try receipt.recoverSigner().address == EthereumAddress(try #require(settle["gateway"]?.stringValue)))
        #expect(SessionReceiptExtra.jsonValue(try #require(receipt.signed)).isEquivalent(to: try #require(response.extra)))
    }

    @Test(arguments: [
        (#"{"voucher": {}}"#, "payload.type"),
        (#"{"type": "transfer"}"#, "payload.type"),
        (#"{"type": "call", "grantId": "0x\#(String(repeating: "33", count: 32))", "windowId": "0x00", "callIndex": "1", "mac": "0x00"}"#, "payload.windowId"),
        (#"{"type": "call", "grantId": "0x\#(String(repeating: "33", count: 32))", "windowId": "0x\#(String(repeating: "11", count: 32))", "callIndex": "0", "mac": "0x"}"#,
         "payload.callIndex"),
        (#"{"type": "call", "grantId": "0x\#(String(repeating: "33", count: 32))", "windowId": "0x\#(String(repeating: "11", count: 32))", "callIndex": "1", "mac": "0x1234"}"#,
         "payload.mac"),
        (#"{"type": "call", "grantId": "0x\#(String(repeating: "33", count: 32))", "windowId": "0x\#(String(repeating: "11", count: 32))", "callIndex": "1", "mac": "0x\#(String(repeating: "22", count: 32))", "tip": "1"}"#,
         "payload.tip"),
        (#"{"type": "voucher", "voucher": {"grantId": "0x"}}"#, "payload.voucher.signature"),
        (#"{"type": "voucher"}"#, "payload.voucher"),
    ])
    func malformedPayloadsAreRefusedNamingTheField(json: String, path: String) throws {
        #expect {
            _ = try SessionPaymentPayload(payload: try JSONValue.parse(json), domain: Self.domain)
        } throws: { error in
            guard let refusal = error as? PaymentRefusal else { return false }
            return refusal.code == .invalidPayload && refusal.httpStatus == 400 && refusal.message.contains(path)
        }
    }
}
