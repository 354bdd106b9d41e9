import Foundation
import PBCore
import PBProtocol
import Testing

/// The memoising decoder must give exactly what the codec's full decoding gives, for good and bad headers alike.
@Suite struct PaymentPayloadDecoderTests {
    private static func requirements(amount: String, extraNote: String) -> PaymentRequirements {
        PaymentRequirements(
            scheme: "pb-session", network: Network(rawValue: "eip155:8453"),
            asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", amount: amount,
            payTo: "0x9f1B6b1E2c4a0a1c83c6af1Bd6E7f0a2b3C4d5e6", maxTimeoutSeconds: 60,
            // Members in key order, as a decoded object keeps them, so that values compare equal.
            extra: .object([
                ("nested", .object([("list", .array([.number("1"), .string("}{\"")]))])), ("note", .string(extraNote)),
            ]))
    }

    private static func header(_ accepted: PaymentRequirements, callIndex: Int) throws -> String {
        try PaymentHeaderCodec.encode(
            PaymentPayload(
                accepted: accepted,
                payload: .object([("callIndex", .number(String(callIndex))), ("mac", .string("0xabc\(callIndex)"))])))
    }

    /// base64 of `json` written as is, for headers our encoder would never produce.
    private static func rawHeader(_ json: String) -> String { Base64.encode(Array(json.utf8)) }

    @Test func repeatedCallsWithOneAcceptedDecodeLikeTheFullDecodingAndAreMemoisedOnce() throws {
        let decoder = PaymentPayloadDecoder()
        // A brace and a quote inside a string must not end the echoed value early.
        let accepted = Self.requirements(amount: "10000", extraNote: "a \"quoted\" } brace")
        for callIndex in 1...5 {
            let header = try Self.header(accepted, callIndex: callIndex)
            let memoised = try decoder.decode(header)
            #expect(memoised == (try PaymentHeaderCodec.decode(header, as: PaymentPayload.self)))
            #expect(memoised.payload["callIndex"] == .number(String(callIndex)))
        }
        #expect(decoder.memoisedCount == 1)
        let other = Self.requirements(amount: "20000", extraNote: "another quote")
        #expect(try decoder.decode(Self.header(other, callIndex: 6)).accepted == other)
        #expect(decoder.memoisedCount == 2)
    }

    @Test func aMemoisedEchoWithADuplicateAcceptedOrTrailingDataIsStillRefused() throws {
        let decoder = PaymentPayloadDecoder()
        let accepted = Self.requirements(amount: "10000", extraNote: "n")
        let good = try Self.header(accepted, callIndex: 1)
        _ = try decoder.decode(good)
        #expect(decoder.memoisedCount == 1)
        let json = String(decoding: try #require(Base64.decode(good)), as: UTF8.self)
        let acceptedJSON = String(decoding: accepted.jsonValue.serializedBytesSortingKeys(), as: UTF8.self)

        let duplicate = Self.rawHeader(json.replacingOccurrences(of: #""payload":"#, with: #""accepted":\#(acceptedJSON),"payload":"#))
        let trailing = Self.rawHeader(json + "x")
        let wrongVersion = Self.rawHeader(json.replacingOccurrences(of: #""x402Version":2"#, with: #""x402Version":1"#))
        let noPayload = Self.rawHeader(#"{"accepted":\#(acceptedJSON),"x402Version":2}"#)
        for bad in [duplicate, trailing, wrongVersion, noPayload] {
            let full = #expect(throws: PaymentHeaderError.self) { try PaymentHeaderCodec.decode(bad, as: PaymentPayload.self) }
            let memoised = #expect(throws: PaymentHeaderError.self) { try decoder.decode(bad) }
            #expect(full == memoised)
        }
    }

    @Test func anEchoThatDiffersByOneByteIsDecodedInFull() throws {
        let decoder = PaymentPayloadDecoder()
        let accepted = Self.requirements(amount: "10000", extraNote: "n")
        _ = try decoder.decode(Self.header(accepted, callIndex: 1))
        let cheaper = Self.requirements(amount: "10001", extraNote: "n")
        let decoded = try decoder.decode(Self.header(cheaper, callIndex: 2))
        #expect(decoded.accepted.amount == "10001")
    }

    @Test func headersNotStartingWithAcceptedDecodeInFullAndAreNotMemoised() throws {
        let decoder = PaymentPayloadDecoder()
        let accepted = Self.requirements(amount: "10000", extraNote: "n")
        let acceptedJSON = String(decoding: accepted.jsonValue.serializedBytesSortingKeys(), as: UTF8.self)
        let reordered = Self.rawHeader(#"{"x402Version":2,"payload":{"callIndex":1},"accepted":\#(acceptedJSON)}"#)
        #expect(try decoder.decode(reordered).accepted == accepted)
        #expect(decoder.memoisedCount == 0)
    }

    @Test func theMemoIsBounded() throws {
        let decoder = PaymentPayloadDecoder(capacity: 3)
        for amount in 1...10 {
            _ = try decoder.decode(Self.header(Self.requirements(amount: String(amount), extraNote: "n"), callIndex: 1))
            #expect(decoder.memoisedCount <= 3)
        }
    }

    @Test("malformed headers give the codec's errors", arguments: X402Vectors.malformedCases)
    func malformed(vector: X402Vectors.MalformedCase) throws {
        let header = vector.headerSizeBytes.map { String(repeating: "A", count: $0) } ?? vector.headerValue ?? ""
        let error = try #require(throws: PaymentHeaderError.self) { try PaymentPayloadDecoder().decode(header) }
        #expect(error.reason == vector.expectedReason, "\(error)")
        #expect(error.errorCode.rawValue == vector.expectedErrorCode)
    }
}
