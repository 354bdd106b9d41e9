/// Why an x402 payment header could not be decoded.
///
/// Each case maps to the x402 reason code a server puts in its answer and to an HTTP status. Details are short
/// and built from our own vocabulary; the offending input is never echoed, so a hostile header cannot inflate a
/// log line or an error body.
public struct PaymentHeaderError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case tooLarge(byteCount: Int)
        case empty
        case invalidBase64
        case invalidJSON(detail: String)
        case unsupportedVersion(Int)
        case missingField(path: String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// The header exceeds `PaymentHeaderCodec.maximumHeaderBytes`; nothing was decoded.
    public static func tooLarge(byteCount: Int) -> Self { Self(.tooLarge(byteCount: byteCount)) }
    public static let empty = Self(.empty)
    /// Not standard base64 (RFC 4648 section 4), or a length no padding can fix.
    public static let invalidBase64 = Self(.invalidBase64)
    /// Not JSON, not a JSON object at the top, or a field of the wrong type.
    public static func invalidJSON(_ detail: String) -> Self { Self(.invalidJSON(detail: String(detail.prefix(160)))) }
    public static func unsupportedVersion(_ version: Int) -> Self { Self(.unsupportedVersion(version)) }
    /// A required field is absent; `path` is dotted, e.g. `accepted.payTo`.
    public static func missingField(_ path: String) -> Self { Self(.missingField(path: String(path.prefix(160)))) }

    /// Our stable, specific reason, e.g. `invalid_base64`; finer than `errorCode`.
    public var reason: String {
        switch code {
        case .tooLarge: "header_too_large"
        case .empty: "empty_header"
        case .invalidBase64: "invalid_base64"
        case .invalidJSON: "invalid_json"
        case .unsupportedVersion: "unsupported_x402_version"
        case .missingField: "missing_field"
        }
    }

    /// The x402 reason code for a `VerifyResponse.invalidReason` or an error body.
    public var errorCode: X402ErrorCode {
        if case .unsupportedVersion = code { return .invalidX402Version }
        return .invalidPayload
    }

    /// 431 (RFC 6585, Request Header Fields Too Large) for an oversize header, 400 for every other malformed one.
    public var httpStatus: Int {
        if case .tooLarge = code { return 431 }
        return 400
    }

    public var description: String {
        switch code {
        case .tooLarge(let byteCount):
            "payment header is \(byteCount) bytes, over the \(PaymentHeaderCodec.maximumHeaderBytes)-byte limit"
        case .empty: "payment header is empty"
        case .invalidBase64: "payment header is not valid standard base64"
        case .invalidJSON(let detail): "payment header is not a valid x402 JSON object: \(detail)"
        case .unsupportedVersion(let version): "unsupported x402Version \(version)"
        case .missingField(let path): "payment header lacks required field \(path)"
        }
    }
}
