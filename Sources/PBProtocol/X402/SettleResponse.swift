import PBCore

/// The facilitator's answer to `/settle`, also sent to the client base64-encoded in `PAYMENT-RESPONSE`
/// (`X-PAYMENT-RESPONSE` in v1, same shape).
public struct SettleResponse: Codable, Hashable, Sendable {
    public var success: Bool
    public var errorReason: X402ErrorCode?
    public var errorMessage: String?
    public var payer: String?
    /// Transaction hash; the empty string when settlement failed.
    public var transaction: String
    public var network: Network
    /// Settled atomic units as a decimal string (`upto` may settle less than the maximum).
    public var amount: String?
    public var extensions: JSONValue?
    public var extra: JSONValue?

    public init(
        success: Bool, errorReason: X402ErrorCode? = nil, errorMessage: String? = nil, payer: String? = nil,
        transaction: String, network: Network, amount: String? = nil, extensions: JSONValue? = nil,
        extra: JSONValue? = nil
    ) {
        self.success = success
        self.errorReason = errorReason
        self.errorMessage = errorMessage
        self.payer = payer
        self.transaction = transaction
        self.network = network
        self.amount = amount
        self.extensions = extensions
        self.extra = extra
    }
}
