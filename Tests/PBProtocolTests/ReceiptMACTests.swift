import PBCore
import PBCrypto
import PBProtocol
import Testing

/// A window call's receipt is MAC'd with the window key instead of signed (docs/PROTOCOL.md, section 9): the agent
/// must accept exactly the MAC Python computed for the vector and refuse any receipt whose fields were changed.
@Suite struct ReceiptMACTests {
    static let vector = SessionVectors.entries("receipts").first { $0["receiptMAC"] != nil }!
    static let window = try! CreditWindowTests.Window(SessionVectors.entries("windows")[0])

    /// The receipt vector's window, keyed as the agent derives it.
    static var agentKey: CreditWindowKey {
        CreditWindowKey(
            sessionKey: window.sessionKey, gatewayPublicKey: window.gatewayPublicKey,
            windowId: try! Bytes32(hex: try! vector.text("voucherId")))
    }

    static func received() throws -> ReceivedReceipt {
        guard case .receipt(let signed) = try SessionDocument.parse(vector.document) else {
            throw PaymentRefusal(.pbSignatureMalformed, "the vector is not a receipt")
        }
        let extra = JSONValue.object([
            ("receipt", signed.message.eip712Message()), ("receiptMAC", .string(try vector.text("receiptMAC"))),
        ])
        return try SessionReceiptExtra.parse(extra, domain: signed.domain)
    }

    @Test func theGatewayAndTheAgentComputeThePythonMAC() throws {
        let received = try Self.received()
        #expect(Hex.encode(Self.agentKey.receiptMAC(received.message, domain: received.domain)) == (try Self.vector.text("receiptMAC")))
        #expect(Hex.encode(Self.agentKey.keyBytesForTesting) == (try Self.vector.text("windowKey")))
        let gatewayKey = CreditWindowKey(
            gatewayKey: Self.window.gatewayKey, sessionPublicKey: Self.window.sessionPublicKey,
            windowId: try Bytes32(hex: try Self.vector.text("voucherId")))
        #expect(gatewayKey.receiptMAC(received.message, domain: received.domain) == Self.agentKey.receiptMAC(received.message, domain: received.domain))
        #expect(received.isAuthentic(windowKey: Self.agentKey))
        #expect(received.signed == nil)
        #expect(throws: PaymentRefusal.self) { try received.recoverSigner() }
    }

    @Test func aChangedFieldOrAnotherWindowBreaksTheMAC() throws {
        let received = try Self.received()
        var inflated = received.message
        inflated.chargedCumulativeAmount += 1
        let forged = ReceivedReceipt(message: inflated, domain: received.domain, authenticator: received.authenticator)
        #expect(!forged.isAuthentic(windowKey: Self.agentKey))
        let otherWindow = CreditWindowKey(
            sessionKey: Self.window.sessionKey, gatewayPublicKey: Self.window.gatewayPublicKey,
            windowId: Bytes32(unchecked: [UInt8](repeating: 7, count: 32)))
        #expect(!received.isAuthentic(windowKey: otherWindow))
    }

    @Test func aCallMACIsNeverAReceiptMAC() throws {
        let received = try Self.received()
        let key = Self.agentKey
        let callMAC = key.mac(callIndex: received.message.callIndex, requestBinding: received.message.requestBinding, amount: received.message.amount)
        let posing = ReceivedReceipt(message: received.message, domain: received.domain, authenticator: .windowMAC(callMAC))
        #expect(!posing.isAuthentic(windowKey: key))
    }

    @Test func aReceiptWithoutSignatureOrMACIsMalformed() throws {
        let received = try Self.received()
        let extra = JSONValue.object([("receipt", received.message.eip712Message())])
        #expect(throws: PaymentRefusal.self) { try SessionReceiptExtra.parse(extra, domain: received.domain) }
        let shortMAC = JSONValue.object([("receipt", received.message.eip712Message()), ("receiptMAC", .string("0x1234"))])
        #expect(throws: PaymentRefusal.self) { try SessionReceiptExtra.parse(shortMAC, domain: received.domain) }
    }
}
