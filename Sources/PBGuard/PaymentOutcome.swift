import PBProtocol
import PBStore

/// The result of one paid request.
public enum PaymentOutcome: Sendable {
    case paid(PaidPayment)
    /// `earlierReceipt`: the payment was already charged (a replayed header); its receipt, so the client can reconcile.
    case refused(PaymentRefusal, channel: ChannelState?, earlierReceipt: SettleResponse?)

    public var refusal: PaymentRefusal? {
        if case .refused(let refusal, _, _) = self { return refusal }
        return nil
    }
}

public struct PaidPayment: Sendable {
    /// What `PAYMENT-RESPONSE` answers: a charge's receipt as its parts, or a whole response (a hold's).
    public enum Response: Sendable {
        case receipt(ReceiptSettlement)
        case settled(SettleResponse)

        public var settleResponse: SettleResponse {
            switch self {
            case .receipt(let settlement): settlement.settleResponse
            case .settled(let response): response
            }
        }

        /// The header's value; a charge's is written without building the response first.
        public var headerValue: String? {
            switch self {
            case .receipt(let settlement): settlement.headerValue
            case .settled(let response): try? PaymentHeaderCodec.encode(response)
            }
        }
    }

    public let record: PaymentRecord
    public let response: Response

    public init(record: PaymentRecord, settleResponse: SettleResponse) {
        self.record = record
        self.response = .settled(settleResponse)
    }

    public init(record: PaymentRecord, receipt: ReceiptSettlement) {
        self.record = record
        self.response = .receipt(receipt)
    }

    public var settleResponse: SettleResponse { response.settleResponse }
}
