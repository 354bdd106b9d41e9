import PBCore
import PBCrypto
import PBProtocol

public enum PaymentStatus: String, Sendable, Hashable, Codable {
    case charged
    /// Refunded because the upstream failed (or a hold expired); a retry of the same payment charges it again, once.
    case voided
    /// Authorized, not yet captured: the hold's amount counts as spent until the capture releases the rest
    /// (`PaymentHold`).
    case held
}

/// One charged payment: the receipt's fields plus what the gateway knows about the request.
public struct PaymentRecord: Sendable, Hashable {
    public let receipt: PaymentReceipt
    public let service: String
    public let method: String
    public let target: String
    public var status: PaymentStatus
    public let createdAt: UnixTime
    public var updatedAt: UnixTime

    public init(
        receipt: PaymentReceipt, service: String, method: String, target: String, status: PaymentStatus = .charged,
        createdAt: UnixTime, updatedAt: UnixTime? = nil
    ) {
        self.receipt = receipt
        self.service = service
        self.method = method
        self.target = target
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    public var receiptId: Bytes32 { receipt.receiptId }
    public var grantId: Bytes32 { receipt.grantId }
    public var amount: UInt128 { receipt.amount }
    public var channel: ChannelKey { ChannelKey(grantId: receipt.grantId, payee: receipt.payee) }
}
