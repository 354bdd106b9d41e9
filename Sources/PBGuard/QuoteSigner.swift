import PBCore
import PBCrypto
import PBProtocol

/// Makes quote ids that the gateway can later recognise as its own: an HMAC over the quoted terms.
///
/// The client echoes the accepted requirements (with `extra.quoteId` and `quoteExpiresAt`) unsigned, so a client
/// could edit them; the MAC lets the gateway honour a quoted price until it expires without storing every quote,
/// and refuse an edited one.
public struct QuoteSigner: Sendable {
    private let key: [UInt8]

    /// `secret` is key material only the gateway has (derived from its key).
    public init(secret: [UInt8]) {
        key = SHA256Functions.hkdf(
            inputKeyMaterial: secret, salt: [], info: Array("pb-gateway/quote/v1".utf8), outputByteCount: 32)
    }

    /// `qt_` + 32 hex digits of HMAC-SHA256(amount, payTo, asset, network, service, binding, expiry, pricing terms).
    /// `pricingTerms` is `QuoteTerms.authenticatedText`: the dimension values, the instant and the oracle overrides
    /// the price was made with, so a capture can be priced on them later and a request cannot swap its dimensions.
    public func quoteId(
        amount: String, payTo: String, asset: String, network: String, service: String, requestBinding: Bytes32,
        expiresAt: UInt64, pricingTerms: String = ""
    ) -> String {
        let terms = [
            amount, payTo.lowercased(), asset.lowercased(), network, service, requestBinding.hex, String(expiresAt),
            pricingTerms,
        ]
        let mac = SHA256Functions.hmac(key: key, message: Array(terms.joined(separator: "\n").utf8))
        return "qt_" + Hex.encode(mac.prefix(16), prefix: false)
    }

    /// Whether `requirements` carries a quote this gateway issued for these terms (expiry checked by the caller).
    public func isGenuine(
        _ requirements: PaymentRequirements, extra: SessionRequirementsExtra, requestBinding: Bytes32,
        pricingTerms: String = ""
    ) -> Bool {
        let expected = quoteId(
            amount: requirements.amount, payTo: requirements.payTo, asset: requirements.asset,
            network: requirements.network.rawValue, service: extra.service, requestBinding: requestBinding,
            expiresAt: extra.quoteExpiresAt, pricingTerms: pricingTerms)
        return SHA256Functions.constantTimeEquals(Array(expected.utf8), Array(extra.quoteId.utf8))
    }
}
