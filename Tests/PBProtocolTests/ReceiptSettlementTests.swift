import PBCore
import PBCrypto
import PBProtocol
import Testing

/// `ReceiptSettlement.headerValue` writes `PAYMENT-RESPONSE` without building the JSON tree; it must give the very
/// bytes the generic encoding of its `settleResponse` gives, or clients would read another receipt than the one MAC'd.
@Suite struct ReceiptSettlementTests {
    static let networks = ["eip155:8453", "eip155:31337", "odd \"network\" \\ with a tab\tand é"]

    static func randomReceipt(_ generator: inout some RandomNumberGenerator) -> PaymentReceipt {
        let amounts: [UInt128] = [0, 1, 10_000, UInt128(UInt64.max), .max]
        func amount() -> UInt128 { Bool.random(using: &generator) ? amounts.randomElement(using: &generator)! : UInt128(UInt64.random(in: 0...UInt64.max, using: &generator)) }
        return PaymentReceipt(
            receiptId: .random(), grantId: .random(), payee: PrivateKey.random().address, amount: amount(),
            chargedCumulativeAmount: amount(), remainingLimit: amount(), sequence: UInt64.random(in: 0...UInt64.max, using: &generator),
            callIndex: UInt64.random(in: 0...1_000_000, using: &generator), requestBinding: .random(),
            issuedAt: UInt64.random(in: 0...4_000_000_000, using: &generator))
    }

    @Test func theHeaderIsTheEncodedSettleResponseByteForByte() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let receipt = Self.randomReceipt(&generator)
            let authenticator: ReceivedReceipt.Authenticator = round % 2 == 0
                ? .windowMAC((0..<32).map { _ in UInt8.random(in: 0...255) })
                : .signature((0..<65).map { _ in UInt8.random(in: 0...255) })
            let settlement = ReceiptSettlement(
                receipt: receipt, authenticator: authenticator, payeeText: receipt.payee.checksummed,
                payerText: round % 3 == 0 ? nil : PrivateKey.random().address.checksummed,
                network: Network(rawValue: Self.networks[round % Self.networks.count]))
            let generic = try PaymentHeaderCodec.encode(settlement.settleResponse)
            #expect(settlement.headerValue == generic, "round \(round)")
        }
    }

    /// What a client reads back from the header: the same receipt and authenticator.
    @Test func aClientReadsBackTheReceiptAndItsMAC() throws {
        var generator = SystemRandomNumberGenerator()
        let receipt = Self.randomReceipt(&generator)
        let mac = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let settlement = ReceiptSettlement(
            receipt: receipt, authenticator: .windowMAC(mac), payeeText: receipt.payee.checksummed, payerText: nil,
            network: Network(rawValue: "eip155:8453"))
        let decoded = try PaymentHeaderCodec.decode(settlement.headerValue, as: SettleResponse.self)
        #expect(decoded.success && decoded.amount == String(receipt.amount) && decoded.payer == nil)
        let domain = PBSessionDomain.make(chainId: 8453)
        let read = try SessionReceiptExtra.parse(try #require(decoded.extra), domain: domain)
        #expect(read.message == receipt)
        #expect(read.authenticator == .windowMAC(mac))
    }
}
