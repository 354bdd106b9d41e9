import Foundation
import PBCore
import Synchronization

/// Decodes `PAYMENT-SIGNATURE` values like `PaymentHeaderCodec.decode(_:as: PaymentPayload.self)`, remembering the
/// `accepted` objects it has decoded.
///
/// A client echoes the same `accepted` object (the offer it chose, ~800 bytes with its `extra`) on every call until
/// it takes a new quote, while the rest of the payload (a credit-window call: ids, an index and a MAC) is a few
/// hundred bytes. Parsing the echo into a JSON tree and reading it back was the largest part of decoding a paid
/// call's header. When the value's first member is `accepted` (as in every sorted-key encoding, ours and the
/// SDKs'), its bytes are looked up here; on a hit only the rest is parsed, with the echo replaced by a placeholder.
///
/// The result is the same as the full decoding's, byte for byte of input: a hit needs the exact bytes of an
/// `accepted` value that a full, strict decoding accepted before (and that parsed on its own to the same JSON), and
/// the rest goes through the same strict parser, so a duplicate `accepted` key or trailing data is still refused.
/// Any failure on the short path falls back to the full decoding, whose error is the one reported.
public final class PaymentPayloadDecoder: Sendable {
    /// Bounds the memory: at most this many distinct `accepted` values (each under ~2 KB) are kept; when full, the
    /// memo is cleared and refilled by the next calls.
    public static let defaultCapacity = 1_024
    /// An `accepted` value longer than this is not memoised (it is decoded in full every time).
    static let maximumMemoisedBytes = 8_192

    private let capacity: Int
    private let memo = Mutex<[EchoedBytes: PaymentRequirements]>([:])

    public init(capacity: Int = defaultCapacity) { self.capacity = max(1, capacity) }

    private static let acceptedPrefix = Array(#"{"accepted":"#.utf8)
    private static let placeholder = UInt8(ascii: "0")

    public func decode(_ header: String) throws(PaymentHeaderError) -> PaymentPayload {
        let json = try PaymentHeaderCodec.jsonBytes(of: header)
        let acceptedRange = Self.leadingAcceptedRange(in: json)
        if let acceptedRange, let accepted = memo.withLock({ $0[EchoedBytes(json[acceptedRange])] }),
            let payload = Self.decodeRest(of: json, after: acceptedRange, accepted: accepted)
        {
            return payload
        }
        let object = try PaymentHeaderCodec.topLevelObject(json)
        try PaymentHeaderCodec.checkVersion(of: object, supported: PaymentPayload.supportedX402Versions)
        let payload = try PaymentPayload(json: object)
        if let acceptedRange { remember(Array(json[acceptedRange]), as: payload.accepted, echoed: object["accepted"]) }
        return payload
    }

    /// How many `accepted` values are memoised (for tests and metrics).
    public var memoisedCount: Int { memo.withLock { $0.count } }

    private func remember(_ bytes: [UInt8], as accepted: PaymentRequirements, echoed: JSONValue?) {
        // The range comes from a structural scan, not from the parser: only keep it when those bytes alone parse to
        // the very member the full decoding read, so a scanner mistake can never map bytes to the wrong terms.
        guard bytes.count <= Self.maximumMemoisedBytes, let echoed, (try? JSONValue.parse(bytes)) == echoed else { return }
        memo.withLock { memo in
            if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
            memo[EchoedBytes(bytes[...])] = accepted
        }
    }

    /// The rest of the payload parsed with the `accepted` value replaced by a placeholder; nil when anything does
    /// not fit (the caller then decodes in full and reports that decoding's error).
    private static func decodeRest(of json: [UInt8], after range: Range<Int>, accepted: PaymentRequirements) -> PaymentPayload? {
        var rest = [UInt8]()
        rest.reserveCapacity(range.lowerBound + 1 + json.count - range.upperBound)
        rest.append(contentsOf: json[..<range.lowerBound])
        rest.append(placeholder)
        rest.append(contentsOf: json[range.upperBound...])
        guard let object = try? PaymentHeaderCodec.topLevelObject(rest),
            (try? PaymentHeaderCodec.checkVersion(of: object, supported: PaymentPayload.supportedX402Versions)) != nil,
            let payload = try? PaymentPayload(json: object, knownAccepted: accepted)
        else { return nil }
        return payload
    }

    /// The byte range of the value of a leading `"accepted":` member, found by tracking strings and nesting only;
    /// nil when the JSON does not start that way or the value is not a well-nested object.
    static func leadingAcceptedRange(in json: [UInt8]) -> Range<Int>? {
        guard json.count > acceptedPrefix.count, json.starts(with: acceptedPrefix) else { return nil }
        let start = acceptedPrefix.count
        guard json[start] == UInt8(ascii: "{") else { return nil }
        return json.withUnsafeBufferPointer { bytes -> Range<Int>? in
            var depth = 0
            var inString = false
            var index = start
            while index < bytes.count {
                let byte = bytes[index]
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        index += 1
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { return start..<(index + 1) }
                    default: break
                    }
                }
                index += 1
            }
            return nil
        }
    }
}

/// An echoed `accepted` value's bytes as a memo key, hashed as one block (an array of bytes hashes element by
/// element, which made the lookup cost more than the parse it saves).
private struct EchoedBytes: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ slice: ArraySlice<UInt8>) { bytes = Array(slice) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (left: EchoedBytes, right: EchoedBytes) -> Bool {
        left.bytes.count == right.bytes.count
            && left.bytes.withUnsafeBytes { leftBytes in
                right.bytes.withUnsafeBytes { rightBytes in
                    leftBytes.isEmpty || memcmp(leftBytes.baseAddress!, rightBytes.baseAddress!, leftBytes.count) == 0
                }
            }
    }
}

extension PaymentPayload {
    /// A payload whose `accepted` member (present, whatever its value) is already known as `knownAccepted`.
    init(json: JSONValue, knownAccepted: PaymentRequirements) throws(PaymentHeaderError) {
        let reader = try X402ObjectReader(json, path: "")
        _ = try reader.value("accepted")
        self.init(
            x402Version: try reader.integer("x402Version"),
            resource: try reader.optionalObject("resource", as: ResourceInfo.self),
            accepted: knownAccepted,
            payload: try reader.value("payload"),
            extensions: reader.optionalValue("extensions"))
    }
}
