import PBCore

/// The facilitator's answer to `/verify`.
public struct VerifyResponse: Codable, Hashable, Sendable {
    public var isValid: Bool
    public var invalidReason: X402ErrorCode?
    public var invalidMessage: String?
    public var payer: String?
    public var extensions: JSONValue?
    public var extra: JSONValue?

    public init(
        isValid: Bool, invalidReason: X402ErrorCode? = nil, invalidMessage: String? = nil, payer: String? = nil,
        extensions: JSONValue? = nil, extra: JSONValue? = nil
    ) {
        self.isValid = isValid
        self.invalidReason = invalidReason
        self.invalidMessage = invalidMessage
        self.payer = payer
        self.extensions = extensions
        self.extra = extra
    }
}
