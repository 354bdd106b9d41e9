import PBCore
import PBCrypto
import PBLedger
import PBProtocol
import PBSettlement
import Testing

/// A grant of 50 U from one owner to one payee, and claims against it, settled on an in-memory ledger.
struct LedgerBookFixture {
    let owner = PrivateKey.random()
    let sessionKey = PrivateKey.random()
    let payee = PrivateKey.random().address
    let token = try! EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")
    let domain = PBSessionDomain.make(chainId: 8453)
    let book = SettlementLedgerBook(chainId: 8453)
    let grant: SignedSessionGrant

    init(totalLimit: UInt128 = 50_000_000) {
        grant = SignedSessionGrant.sign(
            SessionGrant(
                owner: owner.address, sessionKey: sessionKey.address, asset: token, payees: [payee],
                totalLimit: totalLimit, validAfter: 1_764_000_000, validUntil: 1_766_592_000),
            domain: domain, with: owner)
    }

    func claim(charged: UInt128, voucher cumulative: UInt128, settled: UInt128) -> SettlementClaim {
        let voucher = SignedPaymentVoucher.sign(
            PaymentVoucher(
                grantId: grant.digest, payee: payee, cumulativeAmount: cumulative, sequence: 1, requestBinding: .zero,
                validUntil: 1_766_592_000),
            domain: domain, with: sessionKey)
        return SettlementClaim(
            grant: grant, voucher: voucher, chargedCumulativeAmount: charged, settledCumulativeAmount: settled)
    }

    func paid(_ ledger: Ledger) -> UInt128 {
        ledger.accounts[book.paidAccount(payee: payee, token: token)]?.creditsPosted ?? 0
    }
}

@Suite struct SettlementLedgerBookTests {
    @Test func settlingMovesTheReceivableToPaidOnceAndBalances() throws {
        let fixture = LedgerBookFixture()
        var ledger = Ledger()
        let first = SettlementBatch(batchId: "b1", claims: [fixture.claim(charged: 10_000_000, voucher: 10_500_000, settled: 0)])
        #expect(try fixture.book.settle(first, on: &ledger, at: 100).get() == [10_000_000])
        #expect(fixture.paid(ledger) == 10_000_000, "the payee is paid exactly what was charged")
        let escrow = fixture.book.escrowAccount(owner: fixture.owner.address, token: fixture.token)
        #expect(ledger.accounts[escrow]?.available == 40_000_000, "the grant's 50 U deposit less the 10 U paid")
        let receivable = fixture.book.receivableAccount(grantId: fixture.grant.digest, payee: fixture.payee)
        #expect(ledger.accounts[receivable]?.creditBalance == 0)

        // The same claim again, in another batch (a retry the worker should never make): it pays nothing.
        let again = SettlementBatch(batchId: "b2", claims: [fixture.claim(charged: 10_000_000, voucher: 10_500_000, settled: 0)])
        #expect(try fixture.book.settle(again, on: &ledger, at: 101).get() == [10_000_000])
        #expect(fixture.paid(ledger) == 10_000_000, "nothing is paid twice")

        // Further charges settle only the difference, capped by the voucher.
        let later = SettlementBatch(batchId: "b3", claims: [fixture.claim(charged: 25_000_000, voucher: 20_000_000, settled: 10_000_000)])
        #expect(try fixture.book.settle(later, on: &ledger, at: 102).get() == [20_000_000])
        #expect(fixture.paid(ledger) == 20_000_000)
        let report = ledger.check()
        #expect(report.balances, "\(report.problems)")
        let totals = try #require(report.totals[fixture.book.asset(fixture.token)])
        // The 50 U deposit, then 10 U and 10 U, each accrued and paid out.
        #expect(totals.debits == 90_000_000 && totals.credits == 90_000_000)
    }

    @Test func aClaimBeyondTheOwnersEscrowIsRefusedWhole() {
        let fixture = LedgerBookFixture(totalLimit: 5_000_000)
        var ledger = Ledger()
        // A claim whose voucher somehow exceeds the grant's limit: escrow cannot go below zero, nothing is written.
        let batch = SettlementBatch(batchId: "b1", claims: [fixture.claim(charged: 6_000_000, voucher: 6_000_000, settled: 0)])
        #expect(throws: LedgerRejection.exceedsCredits) { try fixture.book.settle(batch, on: &ledger, at: 100).get() }
        #expect(ledger.journal.isEmpty)
        #expect(fixture.paid(ledger) == 0)
    }

    @Test func theOperatorsFeeIsSplitOffAndEverythingStillBalances() throws {
        let fixture = LedgerBookFixture()
        let book = SettlementLedgerBook(chainId: 8453, feeBasisPoints: 250)
        var ledger = Ledger()
        let batch = SettlementBatch(batchId: "b1", claims: [fixture.claim(charged: 10_000_000, voucher: 10_000_000, settled: 0)])
        #expect(try book.settle(batch, on: &ledger, at: 100).get() == [10_000_000])
        #expect(ledger.accounts[book.paidAccount(payee: fixture.payee, token: fixture.token)]?.creditsPosted == 9_750_000)
        #expect(ledger.accounts[book.feesAccount(fixture.token)]?.creditsPosted == 250_000)
        #expect(ledger.check().balances)
    }
}
