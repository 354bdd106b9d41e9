import HTTPTypes
import Hummingbird
import PBCore
import PBGuard
import PBProtocol
import PBStore

/// A refused or missing payment as an HTTP answer: the status of docs/PROTOCOL.md section 10, a `PAYMENT-REQUIRED`
/// header with the offer (and the channel's state when the client is out of step), and a JSON body that says what
/// is wrong. Nothing is charged on this path.
public struct PaymentErrorResponse: Error, HTTPResponseError, Sendable {
    public let refusal: PaymentRefusal
    public let offer: PaymentOffer?
    public let channel: ChannelState?
    /// For a replayed payment: the receipt of the original charge.
    public let earlierReceipt: SettleResponse?
    public let resourceURL: String

    public init(
        refusal: PaymentRefusal, offer: PaymentOffer?, channel: ChannelState? = nil,
        earlierReceipt: SettleResponse? = nil, resourceURL: String
    ) {
        self.refusal = refusal
        self.offer = offer
        self.channel = channel
        self.earlierReceipt = earlierReceipt
        self.resourceURL = resourceURL
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: refusal.httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if let offer {
            var requirements = offer.requirements
            if let channel {
                var extra = offer.extra
                extra.channel = channel
                requirements.extra = extra.jsonValue
            }
            let required = PaymentRequired(
                error: refusal.code.rawValue, resource: ResourceInfo(url: resourceURL, mimeType: "application/json"),
                accepts: [requirements])
            if let header = try? PaymentHeaderCodec.encode(required) {
                headers[HTTPField.Name.paymentRequired] = header
            }
        }
        if let earlierReceipt, let header = try? PaymentHeaderCodec.encode(earlierReceipt) {
            headers[HTTPField.Name.paymentResponse] = header
        }
        var members: [(key: String, value: JSONValue)] = [
            ("x402Version", .number("2")), ("error", .string(refusal.code.rawValue)), ("message", .string(refusal.message)),
        ]
        if let channel {
            members.append((
                "channel",
                .object([
                    ("grantId", .string(channel.grantId.hex)),
                    ("chargedCumulativeAmount", .string(String(channel.chargedCumulativeAmount))),
                    ("lastSequence", .string(String(channel.lastSequence))),
                ])
            ))
        }
        let body = JSONValue.object(members).serialized()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPField.Name {
    public static let paymentRequired = HTTPField.Name(PaymentHeaderCodec.paymentRequiredHeader)!
    public static let paymentSignature = HTTPField.Name(PaymentHeaderCodec.paymentSignatureHeader)!
    public static let paymentResponse = HTTPField.Name(PaymentHeaderCodec.paymentResponseHeader)!
    public static let legacyPayment = HTTPField.Name(PaymentHeaderCodec.legacyPaymentHeader)!
}
