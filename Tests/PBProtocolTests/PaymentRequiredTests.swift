import Foundation
import PBCore
import PBProtocol
import Testing

@Suite("PaymentRequired tolerance")
struct PaymentRequiredTests {
    /// A client that implements only `exact` must still read a 402 offering schemes it does not know.
    @Test func exactOnlyClientReadsUnknownSchemes() throws {
        let header = try #require(X402Vectors.wireCase(named: "v2_payment_required")?.headerValue)
        guard case .v2(let required) = try PaymentHeaderCodec.decodePaymentRequired(header) else {
            Issue.record("expected v2")
            return
        }
        #expect(required.accepts.count == 3)
        let usable = required.accepts(schemes: ["exact"])
        #expect(usable.map(\.network.rawValue) == ["eip155:84532", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"])
        let unknown = try #require(required.accepts.first { $0.scheme == "batch-settlement" })
        #expect(unknown.extra["futureFlag"] == .bool(true))
        #expect(unknown.extra["escrow"]?["withdrawDelaySeconds"] == .number("86400"))
        #expect(required.resource?.description == "Weather in Zürich")
    }

    @Test func unknownFieldsAreIgnored() throws {
        let json = """
            {"x402Version":2,"somethingNew":{"a":[1,2]},"resource":{"url":"https://x.test/","newHint":1},
             "accepts":[{"scheme":"stream-v9","network":"cosmos:hub-4","asset":"uatom","amount":"5",
                         "payTo":"cosmos1xyz","maxTimeoutSeconds":30,"novel":true}]}
            """
        let required = try PaymentHeaderCodec.decode(Data(json.utf8).base64EncodedString(), as: PaymentRequired.self)
        #expect(required.accepts.first?.scheme == "stream-v9")
        // The Python model defaults a missing `extra` to {} and always writes it back; so do we.
        #expect(required.accepts.first?.extra == .object([]))
        #expect(required.accepts(schemes: ["exact"]).isEmpty)
    }

    @Test func optionalFieldsAreOmittedNotNull() throws {
        let required = PaymentRequired(
            accepts: [
                PaymentRequirements(
                    scheme: "exact", network: "eip155:8453", asset: "0xasset", amount: "1", payTo: "0xpayee",
                    maxTimeoutSeconds: 60)
            ])
        let json = String(decoding: try X402Vectors.headerJSON(PaymentHeaderCodec.encode(required)), as: UTF8.self)
        #expect(!json.contains("null"))
        #expect(!json.contains("error") && !json.contains("resource") && !json.contains("extensions"))
        #expect(json.contains("\"extra\":{}"))
        #expect(json.contains("\"x402Version\":2"))
    }

    @Test func canonicalComparisonSeesAMissingField() throws {
        // Guards the harness: presence of a field must matter to the round-trip comparisons.
        let withField = try X402Vectors.canonical(Data(#"{"a":1,"b":null}"#.utf8))
        let without = try X402Vectors.canonical(Data(#"{"a":1}"#.utf8))
        #expect(withField != without)
        let reordered = try X402Vectors.canonical(Data(#"{"b":true,"a":1}"#.utf8))
        #expect(try reordered == X402Vectors.canonical(Data(#"{"a":1,"b":true}"#.utf8)))
        #expect(try X402Vectors.canonical(Data(#"{"a":true}"#.utf8)) != X402Vectors.canonical(Data(#"{"a":1}"#.utf8)))
    }
}
