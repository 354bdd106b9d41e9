import PBCore
import PBCrypto

/// A charged payment's `PAYMENT-RESPONSE`, kept as its parts (docs/PROTOCOL.md, section 9): the receipt, how it is
/// authenticated, who paid and on which network.
///
/// Why parts: the reverse proxy needs only the header, which `headerValue` writes straight into bytes, the very
/// bytes `PaymentHeaderCodec.encode(settleResponse)` gives (tested on random receipts), without building the JSON
/// tree first: a dozen allocations and a walk over it on every paid call. `settleResponse` builds the x402 value for
/// whoever needs it (the facilitator's body, a handler behind the middleware).
public struct ReceiptSettlement: Sendable, Hashable {
    public let receipt: PaymentReceipt
    public let authenticator: ReceivedReceipt.Authenticator
    /// The payee's EIP-55 text, which the receipt shows; the caller caches it, since each checksum is a Keccak hash.
    public let payeeText: String
    /// The payer's (the grant owner's) EIP-55 text, if known.
    public let payerText: String?
    public let network: Network

    public init(
        receipt: PaymentReceipt, authenticator: ReceivedReceipt.Authenticator, payeeText: String, payerText: String?,
        network: Network
    ) {
        assert(payeeText.lowercased() == receipt.payee.lowercased, "the payee's text names the receipt's payee")
        self.receipt = receipt
        self.authenticator = authenticator
        self.payeeText = payeeText
        self.payerText = payerText
        self.network = network
    }

    /// The x402 settle response: success, the charged amount, and the receipt in `extra`.
    public var settleResponse: SettleResponse {
        SettleResponse(
            success: true, payer: payerText, transaction: "", network: network, amount: String(receipt.amount),
            extra: SessionReceiptExtra.jsonValue(receipt, authenticator: authenticator))
    }

    /// `PAYMENT-RESPONSE`: base64 of `settleResponse`'s JSON with sorted keys, written member by member in that
    /// order (amount, extra{receipt{...}, receipt…}, network, payer, success, transaction).
    public var headerValue: String {
        var json: [UInt8] = []
        json.reserveCapacity(832)
        json.append(contentsOf: #"{"amount":"#.utf8)
        Self.appendDecimal(receipt.amount, to: &json)
        json.append(contentsOf: #","extra":{"receipt":{"amount":"#.utf8)
        Self.appendDecimal(receipt.amount, to: &json)
        json.append(contentsOf: #","callIndex":"#.utf8)
        Self.appendDecimal(receipt.callIndex, to: &json)
        json.append(contentsOf: #","chargedCumulativeAmount":"#.utf8)
        Self.appendDecimal(receipt.chargedCumulativeAmount, to: &json)
        json.append(contentsOf: #","grantId":"#.utf8)
        Self.appendHex(receipt.grantId.bytes, to: &json)
        json.append(contentsOf: #","issuedAt":"#.utf8)
        Self.appendDecimal(receipt.issuedAt, to: &json)
        json.append(contentsOf: #","payee":"#.utf8)
        JSONValue.appendString(payeeText, to: &json)
        json.append(contentsOf: #","receiptId":"#.utf8)
        Self.appendHex(receipt.receiptId.bytes, to: &json)
        json.append(contentsOf: #","remainingLimit":"#.utf8)
        Self.appendDecimal(receipt.remainingLimit, to: &json)
        json.append(contentsOf: #","requestBinding":"#.utf8)
        Self.appendHex(receipt.requestBinding.bytes, to: &json)
        json.append(contentsOf: #","sequence":"#.utf8)
        Self.appendDecimal(receipt.sequence, to: &json)
        json.append(contentsOf: "},".utf8)
        JSONValue.appendString(authenticator.fieldName, to: &json)
        json.append(UInt8(ascii: ":"))
        Self.appendHex(authenticator.bytes, to: &json)
        json.append(contentsOf: #"},"network":"#.utf8)
        JSONValue.appendString(network.rawValue, to: &json)
        if let payerText {
            json.append(contentsOf: #","payer":"#.utf8)
            JSONValue.appendString(payerText, to: &json)
        }
        json.append(contentsOf: #","success":true,"transaction":""}"#.utf8)
        return Base64.encode(json)
    }

    /// A decimal as a JSON string: the quotes and the digits.
    private static func appendDecimal<Integer: BinaryInteger>(_ value: Integer, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        output.append(contentsOf: String(value).utf8)
        output.append(UInt8(ascii: "\""))
    }

    private static func appendHex(_ bytes: [UInt8], to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        Hex.append(bytes, to: &output)
        output.append(UInt8(ascii: "\""))
    }
}
