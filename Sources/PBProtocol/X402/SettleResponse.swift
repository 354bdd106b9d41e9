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

extension SettleResponse: X402JSONEncodable {
    public var jsonValue: JSONValue {
        var writer = X402ObjectWriter()
        writer.add("success", .bool(success))
        writer.add("errorReason", errorReason?.rawValue)
        writer.add("errorMessage", errorMessage)
        writer.add("payer", payer)
        writer.add("transaction", transaction)
        writer.add("network", network.rawValue)
        writer.add("amount", amount)
        writer.add("extensions", extensions)
        writer.add("extra", extra)
        return writer.object
    }
}
