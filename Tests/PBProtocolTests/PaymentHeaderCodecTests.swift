import Foundation
import PBCore
import PBProtocol
import Testing

/// Decodes `header` as the named wire type and returns our header for the decoded value.
private func reencodeHeader(typeName: String, header: String) throws -> String {
    typealias Codec = PaymentHeaderCodec
    switch typeName {
    case "PaymentRequired": return try Codec.encode(Codec.decode(header, as: PaymentRequired.self))
    case "PaymentPayload": return try Codec.encode(Codec.decode(header, as: PaymentPayload.self))
    case "SettleResponse": return try Codec.encode(Codec.decode(header, as: SettleResponse.self))
    case "VerifyResponse": return try Codec.encode(Codec.decode(header, as: VerifyResponse.self))
    case "VerifyRequest": return try Codec.encode(Codec.decode(header, as: VerifyRequest.self))
    case "SupportedResponse": return try Codec.encode(Codec.decode(header, as: SupportedResponse.self))
    case "PaymentRequiredV1": return try Codec.encode(Codec.decode(header, as: PaymentRequiredV1.self))
    case "PaymentPayloadV1": return try Codec.encode(Codec.decode(header, as: PaymentPayloadV1.self))
    default: throw CocoaError(.featureUnsupported, userInfo: ["type": typeName])
    }
}

/// The JSON of `header` in canonical form.
private func canonicalHeaderJSON(_ header: String) throws -> String {
    try X402Vectors.canonical(X402Vectors.headerJSON(header))
}

@Suite("x402 header codec against the Python package's vectors")
struct PaymentHeaderCodecTests {
    @Test func vectorsArePresent() {
        #expect(X402Vectors.cases.count >= 11)
        #expect(X402Vectors.headerCases.count >= 7)
        #expect(X402Vectors.malformedCases.count >= 10)
        #expect(X402Vectors.maximumHeaderBytes == PaymentHeaderCodec.maximumHeaderBytes)
    }

    @Test("their header -> our type -> our header carries the same JSON", arguments: X402Vectors.headerCases)
    func headerRoundTrip(vector: X402Vectors.WireCase) throws {
        let theirHeader = try #require(vector.headerValue)
        let expected = try X402Vectors.canonical(vector.json)
        // Their header holds exactly the model dump, so field presence is compared too, not just values.
        #expect(try canonicalHeaderJSON(theirHeader) == expected)

        let ourHeader = try reencodeHeader(typeName: vector.typeName, header: theirHeader)
        #expect(try canonicalHeaderJSON(ourHeader) == expected)

        // Our header decodes again to the same meaning.
        let again = try reencodeHeader(typeName: vector.typeName, header: ourHeader)
        #expect(try canonicalHeaderJSON(again) == expected)
    }

    @Test("their JSON body -> our type -> our JSON is the same", arguments: X402Vectors.cases)
    func bodyRoundTrip(vector: X402Vectors.WireCase) throws {
        let ourHeader = try reencodeHeader(typeName: vector.typeName, header: vector.json.base64EncodedString())
        #expect(try canonicalHeaderJSON(ourHeader) == X402Vectors.canonical(vector.json))
    }

    @Test("header names match the package's", arguments: X402Vectors.headerCases)
    func headerNames(vector: X402Vectors.WireCase) throws {
        let known = [
            PaymentHeaderCodec.paymentRequiredHeader, PaymentHeaderCodec.paymentSignatureHeader,
            PaymentHeaderCodec.paymentResponseHeader, PaymentHeaderCodec.legacyPaymentHeader,
            PaymentHeaderCodec.legacyPaymentResponseHeader,
        ]
        #expect(known.contains(try #require(vector.headerName)))
    }

    @Test("malformed headers give the expected error", arguments: X402Vectors.malformedCases)
    func malformed(vector: X402Vectors.MalformedCase) throws {
        let header: String
        if let size = vector.headerSizeBytes {
            header = String(repeating: "A", count: size)
        } else {
            header = try #require(vector.headerValue)
        }
        let error = try #require(throws: PaymentHeaderError.self) {
            try PaymentHeaderCodec.decode(header, as: PaymentPayload.self)
        }
        #expect(error.reason == vector.expectedReason, "\(error)")
        #expect(error.errorCode.rawValue == vector.expectedErrorCode)
        #expect(error.httpStatus == vector.expectedHTTPStatus)
    }

    @Test func oversizeHeaderIsRejectedBeforeDecoding() throws {
        // Not base64 at all: had the codec started decoding, it would report invalid_base64 instead.
        let junk = String(repeating: "!", count: PaymentHeaderCodec.maximumHeaderBytes + 1)
        let error = try #require(throws: PaymentHeaderError.self) {
            try PaymentHeaderCodec.decode(junk, as: PaymentPayload.self)
        }
        #expect(error == .tooLarge(byteCount: 16_385))
        #expect(error.httpStatus == 431)
    }

    @Test func limitIsInclusiveAt16384Bytes() throws {
        let valid = try #require(X402Vectors.wireCase(named: "v2_payment_payload_exact_evm")?.headerValue)
        // Trailing spaces are HTTP optional whitespace: they count toward the limit and are then trimmed.
        let atLimit = valid + String(repeating: " ", count: PaymentHeaderCodec.maximumHeaderBytes - valid.utf8.count)
        #expect(atLimit.utf8.count == 16_384)
        let payload = try PaymentHeaderCodec.decode(atLimit, as: PaymentPayload.self)
        #expect(payload.scheme == "exact")
        #expect(throws: PaymentHeaderError.tooLarge(byteCount: 16_385)) {
            try PaymentHeaderCodec.decode(atLimit + " ", as: PaymentPayload.self)
        }
    }

    @Test func unpaddedBase64IsAccepted() throws {
        let valid = try #require(X402Vectors.wireCase(named: "v2_settle_failure")?.headerValue)
        let unpadded = String(valid.prefix { $0 != "=" })
        #expect(unpadded != valid, "vector should need padding for this test to mean anything")
        let padded = try PaymentHeaderCodec.decode(valid, as: SettleResponse.self)
        #expect(try PaymentHeaderCodec.decode(unpadded, as: SettleResponse.self) == padded)
        #expect(padded.errorReason == .insufficientFunds)
    }

    @Test func encodingIsPaddedStandardBase64OfCompactJSON() throws {
        let response = SettleResponse(success: false, transaction: "", network: "eip155:84532")
        let header = try PaymentHeaderCodec.encode(response)
        #expect(header.utf8.count % 4 == 0)
        let json = String(decoding: try X402Vectors.headerJSON(header), as: UTF8.self)
        #expect(!json.contains(" ") && !json.contains("null"))
        #expect(json.contains("\"transaction\":\"\""))
        #expect(json == #"{"network":"eip155:84532","success":false,"transaction":""}"#)
        #expect(try PaymentHeaderCodec.encode(response) == header)
    }

    @Test func versionedDecodingDispatchesOnX402Version() throws {
        let v1 = try #require(X402Vectors.wireCase(named: "v1_payment_payload")?.headerValue)
        let v2 = try #require(X402Vectors.wireCase(named: "v2_payment_payload_exact_evm")?.headerValue)
        guard case .v1(let legacy) = try PaymentHeaderCodec.decodePaymentPayload(v1) else {
            Issue.record("v1 payload not recognised")
            return
        }
        #expect(legacy.network.normalizedCAIP2 == "eip155:84532")
        guard case .v2(let current) = try PaymentHeaderCodec.decodePaymentPayload(v2) else {
            Issue.record("v2 payload not recognised")
            return
        }
        #expect(current.payload["authorization"]?["value"] == .string("10000"))
        // A v1 message read as the v2 type is a version error, not a missing `accepted`.
        #expect(throws: PaymentHeaderError.unsupportedVersion(1)) {
            try PaymentHeaderCodec.decode(v1, as: PaymentPayload.self)
        }
        let required = try #require(X402Vectors.wireCase(named: "v1_payment_required")?.headerValue)
        guard case .v1(let legacyRequired) = try PaymentHeaderCodec.decodePaymentRequired(required) else {
            Issue.record("v1 PaymentRequired not recognised")
            return
        }
        #expect(legacyRequired.accepts.first?.maxAmountRequired == "10000")
    }

    @Test func missingVersionIsAMissingField() throws {
        let header = Data(#"{"accepts":[]}"#.utf8).base64EncodedString()
        #expect(throws: PaymentHeaderError.missingField("x402Version")) {
            try PaymentHeaderCodec.decode(header, as: PaymentRequired.self)
        }
        #expect(throws: PaymentHeaderError.missingField("x402Version")) {
            try PaymentHeaderCodec.decodePaymentRequired(header)
        }
    }

    @Test func errorDetailsDoNotEchoInput() throws {
        let filler = String(repeating: "x", count: 4000)
        let header = Data("{\"x402Version\":2,\"accepted\":\"\(filler)\"}".utf8).base64EncodedString()
        let error = try #require(throws: PaymentHeaderError.self) {
            try PaymentHeaderCodec.decode(header, as: PaymentPayload.self)
        }
        #expect(error.reason == "invalid_json")
        #expect(!error.description.contains("xxxx"))
        #expect(error.description.count < 200)
    }
}
