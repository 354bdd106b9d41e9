import PBAlerts
import Testing

/// The receiver's side of `PB-Signature`: what verifies, and what a receiver must refuse.
@Suite struct WebhookSignatureTests {
    let secret = Array("whsec_0123456789abcdef".utf8)
    let body = Array(#"{"id":"al_1","kind":"ruleFired"}"#.utf8)
    let sentAt: Int64 = 1_764_000_000

    @Test func aSignedBodyVerifiesWithinTheTolerance() throws {
        let header = WebhookSignature.sign(body: body, timestamp: sentAt, secret: secret)
        #expect(header.hasPrefix("t=\(sentAt),v1="))
        try WebhookSignature.verify(header: header, body: body, secret: secret, now: sentAt + 299)
        try WebhookSignature.verify(header: header, body: body, secret: secret, now: sentAt - 60)
    }

    @Test func aTamperedBodyOrAnotherSecretFails() {
        let header = WebhookSignature.sign(body: body, timestamp: sentAt, secret: secret)
        var tampered = body
        tampered[tampered.count - 3] ^= 1
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try WebhookSignature.verify(header: header, body: tampered, secret: secret, now: sentAt)
        }
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try WebhookSignature.verify(header: header, body: body, secret: Array("another-secret-000".utf8), now: sentAt)
        }
    }

    @Test func aMovedTimestampFailsAndAnOldOneIsAReplay() {
        let header = WebhookSignature.sign(body: body, timestamp: sentAt, secret: secret)
        let moved = header.replacingOccurrences(of: "t=\(sentAt)", with: "t=\(sentAt + 3_600)")
        #expect(throws: WebhookSignature.Failure.mismatch, "the timestamp is inside the MAC") {
            try WebhookSignature.verify(header: moved, body: body, secret: secret, now: sentAt + 3_600)
        }
        #expect(throws: WebhookSignature.Failure.timestampOutsideTolerance, "a replay an hour later") {
            try WebhookSignature.verify(header: header, body: body, secret: secret, now: sentAt + 3_600)
        }
    }

    @Test func malformedHeadersAreRefusedAndRotationIsAllowed() throws {
        for header in ["", "t=abc,v1=00", "v1=" + String(repeating: "0", count: 64), "t=\(sentAt)", "garbage"] {
            #expect(throws: WebhookSignature.Failure.malformedHeader, "\(header)") {
                try WebhookSignature.verify(header: header, body: body, secret: secret, now: sentAt)
            }
        }
        // During a rotation the sender signs with old and new secrets; a receiver knowing either accepts.
        let old = WebhookSignature.sign(body: body, timestamp: sentAt, secret: Array("old-secret-000000".utf8))
        let new = WebhookSignature.sign(body: body, timestamp: sentAt, secret: secret)
        let both = old + "," + new.split(separator: ",")[1]
        try WebhookSignature.verify(header: both, body: body, secret: secret, now: sentAt)
    }
}
