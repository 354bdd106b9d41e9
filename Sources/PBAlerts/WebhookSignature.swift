import Foundation
import PBCore
import PBCrypto

/// The one webhook signer of the gateway (alerts and metering events): header
/// `PB-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`, Stripe-like.
///
/// A receiver verifies it with `verify`: parse `t` and every `v1`, recompute the HMAC over the exact bytes
/// received (before any JSON parsing), compare in constant time, and refuse a `t` further than the tolerance from its
/// own clock. The timestamp is inside the MAC, so an attacker can neither replay an old delivery after the tolerance
/// nor move its timestamp; receivers that must refuse replays within the tolerance too keep the alert ids they
/// have seen for that long.
public enum WebhookSignature {
    public static let header = "PB-Signature"
    /// Five minutes, as Stripe: clocks drift and retries queue, but a replay is refused after this.
    public static let defaultToleranceSeconds: Int64 = 300

    public enum Failure: Error, Sendable, Hashable {
        case malformedHeader
        case mismatch
        case timestampOutsideTolerance
    }

    /// The header value for `body` sent at `timestamp` (unix seconds).
    public static func sign(body: [UInt8], timestamp: Int64, secret: [UInt8]) -> String {
        "t=\(timestamp),v1=\(Hex.encode(mac(body: body, timestamp: timestamp, secret: secret), prefix: false))"
    }

    /// Checks a received header: one of its `v1` values must be the HMAC of `body` under `secret` (several are
    /// allowed so that a secret can be rotated), and `t` within `toleranceSeconds` of `now` (unix seconds).
    public static func verify(
        header: String, body: [UInt8], secret: [UInt8], now: Int64, toleranceSeconds: Int64 = defaultToleranceSeconds
    ) throws(Failure) {
        var timestamp: Int64?
        var candidates: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2 else { throw .malformedHeader }
            let value = pieces[1].trimmingCharacters(in: .whitespaces)
            switch pieces[0].trimmingCharacters(in: .whitespaces) {
            case "t":
                guard timestamp == nil, let parsed = Int64(value) else { throw .malformedHeader }
                timestamp = parsed
            case "v1":
                guard let bytes = try? Hex.decode(value), bytes.count == 32 else { throw .malformedHeader }
                candidates.append(bytes)
            default:
                continue  // Later schemes (v2, ...) are ignored, as Stripe receivers do.
            }
        }
        guard let timestamp, !candidates.isEmpty else { throw .malformedHeader }
        let expected = mac(body: body, timestamp: timestamp, secret: secret)
        guard candidates.contains(where: { SHA256Functions.constantTimeEquals($0, expected) }) else { throw .mismatch }
        guard abs(now - timestamp) <= toleranceSeconds else { throw .timestampOutsideTolerance }
    }

    static func mac(body: [UInt8], timestamp: Int64, secret: [UInt8]) -> [UInt8] {
        SHA256Functions.hmac(key: secret, message: Array("\(timestamp).".utf8) + body)
    }
}
