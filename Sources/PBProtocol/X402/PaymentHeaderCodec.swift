import Foundation
import PBCore

/// A top-level x402 message that carries `x402Version`, so the codec can check the version before decoding.
public protocol X402VersionedMessage: Codable, Sendable {
    static var supportedX402Versions: Set<Int> { get }
}

/// A decoded `PAYMENT-REQUIRED` value of either protocol version.
public enum AnyPaymentRequired: Hashable, Sendable {
    case v1(PaymentRequiredV1)
    case v2(PaymentRequired)
}

/// A decoded `PAYMENT-SIGNATURE` / `X-PAYMENT` value of either protocol version.
public enum AnyPaymentPayload: Hashable, Sendable {
    case v1(PaymentPayloadV1)
    case v2(PaymentPayload)
}

/// x402 HTTP header names and the base64(JSON) encoding of their values.
///
/// Encoding: standard base64 with padding of compact UTF-8 JSON with optional fields omitted, which is what the
/// Python package's `x402.http.utils` produces (its `PAYMENT-RESPONSE` encoder uses `json.dumps` with spaces after
/// separators; both forms decode to the same object, and we always write the compact one). Keys are sorted so
/// that the same value always yields the same header; JSON gives key order no meaning.
///
/// Decoding accepts standard base64 with or without padding, and surrounding spaces or tabs (HTTP optional
/// whitespace). The URL-safe alphabet (`-`, `_`) is rejected: the spec says standard base64, and Python's lenient
/// decoder silently drops those characters rather than reading them, so accepting them would make us disagree
/// with the reference implementation about what a header means.
public enum PaymentHeaderCodec {
    /// v2: the 402 response's payment terms.
    public static let paymentRequiredHeader = "PAYMENT-REQUIRED"
    /// v2: the client's payment.
    public static let paymentSignatureHeader = "PAYMENT-SIGNATURE"
    /// v2: the settlement result.
    public static let paymentResponseHeader = "PAYMENT-RESPONSE"
    /// v1: the client's payment.
    public static let legacyPaymentHeader = "X-PAYMENT"
    /// v1: the settlement result.
    public static let legacyPaymentResponseHeader = "X-PAYMENT-RESPONSE"

    /// Headers longer than this (in UTF-8 bytes) are rejected before any decoding work. A real payload is a few
    /// hundred bytes to a few KB; 16 KB leaves room for extensions while bounding what a hostile client costs us.
    public static let maximumHeaderBytes = 16_384

    /// base64(compact JSON) of one of our own x402 messages, written by the project's serializer (chosen at
    /// compile time: the dynamic cast of the generic version below showed in a paid call's profile).
    public static func encode<Message: Encodable & X402JSONEncodable>(_ value: Message) throws -> String {
        Base64.encode(value.jsonValue.serializedBytesSortingKeys())
    }

    /// base64(compact JSON) of `value`. Throws `EncodingError` only for values JSON cannot hold (e.g. a
    /// `JSONValue.number` whose text is not a number).
    public static func encode<Message: Encodable>(_ value: Message) throws -> String {
        if let message = value as? any X402JSONEncodable {
            return Base64.encode(message.jsonValue.serializedBytesSortingKeys())
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return Base64.encode(Array(try encoder.encode(value)))
    }

    /// Decodes a header value as `Message`. For an `X402VersionedMessage` the `x402Version` is checked first, so
    /// a message of another version reports that rather than a confusing missing field. A missing `x402Version`
    /// is a `missingField` error: the Python package would assume 2, but every real sender writes the field and
    /// guessing the protocol of a payment is not worth the ambiguity.
    public static func decode<Message: Decodable>(
        _ header: String, as type: Message.Type = Message.self
    ) throws(PaymentHeaderError) -> Message {
        let (json, object) = try jsonObject(of: header)
        if let versioned = Message.self as? any X402VersionedMessage.Type {
            try checkVersion(of: object, supported: versioned.supportedX402Versions)
        }
        if let direct = Message.self as? any X402JSONDecodable.Type,
            let message = try direct.init(json: object, path: "") as? Message
        {
            return message
        }
        return try decodeJSON(Message.self, from: json)
    }

    /// Decodes a `PAYMENT-REQUIRED` value of version 1 or 2.
    public static func decodePaymentRequired(_ header: String) throws(PaymentHeaderError) -> AnyPaymentRequired {
        let (json, object) = try jsonObject(of: header)
        switch try x402Version(in: object) {
        case 1: return .v1(try decodeJSON(PaymentRequiredV1.self, from: json))
        case 2: return .v2(try decodeJSON(PaymentRequired.self, from: json))
        case let version: throw .unsupportedVersion(version)
        }
    }

    /// Decodes a `PAYMENT-SIGNATURE` (v2) or `X-PAYMENT` (v1) value.
    public static func decodePaymentPayload(_ header: String) throws(PaymentHeaderError) -> AnyPaymentPayload {
        let (json, object) = try jsonObject(of: header)
        switch try x402Version(in: object) {
        case 1: return .v1(try decodeJSON(PaymentPayloadV1.self, from: json))
        case 2: return .v2(try PaymentPayload(json: object))
        case let version: throw .unsupportedVersion(version)
        }
    }

    // MARK: - Steps

    /// Size check, base64 and a top-level JSON-object check; returns the JSON bytes.
    /// The header's JSON bytes and their parse (one strict pass: it proves the top level is an object and gives
    /// the version without decoding the whole document twice).
    private static func jsonObject(of header: String) throws(PaymentHeaderError) -> (json: [UInt8], object: JSONValue) {
        let json = try jsonBytes(of: header)
        return (json, try topLevelObject(json))
    }

    /// Size check, trimming and base64: the header's JSON bytes, not yet parsed.
    static func jsonBytes(of header: String) throws(PaymentHeaderError) -> [UInt8] {
        // Measured before trimming or anything else, so an oversize header costs one length computation.
        let byteCount = header.utf8.count
        guard byteCount <= maximumHeaderBytes else { throw .tooLarge(byteCount: byteCount) }
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let utf8 = header.utf8
        // Index arithmetic rather than `reversed()`: copying the header through a reversed view cost more than
        // the base64 decoding itself.
        guard let first = utf8.firstIndex(where: { !isBlank($0) }), let last = utf8.lastIndex(where: { !isBlank($0) })
        else { throw .empty }
        let trimmed = first == utf8.startIndex && last == utf8.index(before: utf8.endIndex)
            ? header : String(Substring(header)[first...last])
        return try base64Decode(trimmed)
    }

    /// The strict parse of a header's JSON, which must be an object.
    static func topLevelObject(_ json: [UInt8]) throws(PaymentHeaderError) -> JSONValue {
        let object: JSONValue
        do { object = try JSONValue.parse(json) } catch { throw .invalidJSON("not valid JSON") }
        guard object.objectMembers != nil else { throw .invalidJSON("top level is not an object") }
        return object
    }

    private static func base64Decode(_ text: String) throws(PaymentHeaderError) -> [UInt8] {
        // Padding is optional; a 4n+1 length is invalid either way.
        guard let bytes = Base64.decode(text) else { throw .invalidBase64 }
        return bytes
    }

    /// That the message's `x402Version` is one of `supported`.
    static func checkVersion(of object: JSONValue, supported: Set<Int>) throws(PaymentHeaderError) {
        let version = try x402Version(in: object)
        guard supported.contains(version) else { throw .unsupportedVersion(version) }
    }

    private static func x402Version(in object: JSONValue) throws(PaymentHeaderError) -> Int {
        guard let member = object["x402Version"] else { throw .missingField("x402Version") }
        guard case .number(let literal) = member, let version = Int(literal) else {
            throw .invalidJSON("wrong type at x402Version, expected Int")
        }
        return version
    }

    private static func decodeJSON<Message: Decodable>(
        _ type: Message.Type, from json: [UInt8]
    ) throws(PaymentHeaderError) -> Message {
        do {
            return try JSONDecoder().decode(Message.self, from: Data(json))
        } catch let error as DecodingError {
            throw headerError(for: error)
        } catch {
            throw .invalidJSON("not valid JSON")
        }
    }

    /// Our own wording for a `DecodingError`: its debug descriptions may quote the input.
    private static func headerError(for error: DecodingError) -> PaymentHeaderError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(dottedPath(context.codingPath + [key]))
        case .valueNotFound(_, let context):
            return .invalidJSON("null at \(dottedPath(context.codingPath))")
        case .typeMismatch(let expected, let context):
            return .invalidJSON("wrong type at \(dottedPath(context.codingPath)), expected \(expected)")
        case .dataCorrupted(let context):
            return .invalidJSON("invalid value at \(dottedPath(context.codingPath))")
        @unknown default:
            return .invalidJSON("undecodable")
        }
    }

    private static func dottedPath(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "top level" }
        return path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
