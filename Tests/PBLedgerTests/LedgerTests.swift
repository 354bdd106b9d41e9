import PropertyBased
import Testing

@testable import PBLedger

/// A prepaid owner, a payee's receivable and paid-out accounts, and the outside world, in one asset.
func makeLedger(ownerTopUp: UInt128 = 100_000_000) -> Ledger {
    var ledger = Ledger()
    let usdc = "eip155:8453/usdc"
    try! ledger.open(LedgerAccount(id: "world", asset: usdc))
    try! ledger.open(LedgerAccount(id: "owner:prepaid", asset: usdc, constraint: .debitsMustNotExceedCredits))
    try! ledger.open(LedgerAccount(id: "payee:receivable", asset: usdc, constraint: .debitsMustNotExceedCredits))
    try! ledger.open(LedgerAccount(id: "payee:paid", asset: usdc))
    try! ledger.open(LedgerAccount(id: "other-asset", asset: "eip155:1/usdc"))
    if ownerTopUp > 0 {
        _ = ledger.apply(
            LedgerTransfer(id: "top-up", debitAccountId: "world", creditAccountId: "owner:prepaid", amount: ownerTopUp),
            at: 0)
    }
    return ledger
}

@Suite struct LedgerTests {
    @Test func aTransferMovesExactlyItsAmountAndARetryIsIdempotent() {
        var ledger = makeLedger()
        let charge = LedgerTransfer(
            id: "charge-1", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 10_000)
        #expect(ledger.apply(charge, at: 10) == .created)
        #expect(ledger.apply(charge, at: 11) == .exists)
        let reused = LedgerTransfer(
            id: "charge-1", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 20_000)
        #expect(ledger.apply(reused, at: 12) == .rejected(.idReusedWithDifferentFields))
        #expect(ledger.accounts["owner:prepaid"]?.available == 99_990_000)
        #expect(ledger.accounts["payee:receivable"]?.creditBalance == 10_000)
        #expect(ledger.journal == ["top-up", "charge-1"])
        #expect(ledger.check().balances)
    }

    @Test func aBalanceCannotGoBelowZeroAndARefusalWritesNothing() {
        var ledger = makeLedger(ownerTopUp: 5)
        let before = ledger
        let tooMuch = LedgerTransfer(id: "big", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 6)
        #expect(ledger.apply(tooMuch, at: 1) == .rejected(.exceedsCredits))
        #expect(ledger == before)
        let exact = LedgerTransfer(id: "all", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 5)
        #expect(ledger.apply(exact, at: 1) == .created)
        #expect(ledger.accounts["owner:prepaid"]?.available == 0)
    }

    @Test func malformedTransfersAreRefused() {
        var ledger = makeLedger()
        let before = ledger
        let cases: [(LedgerTransfer, LedgerRejection)] = [
            (LedgerTransfer(id: "a", debitAccountId: "nobody", creditAccountId: "payee:paid", amount: 1), .accountNotFound),
            (LedgerTransfer(id: "b", debitAccountId: "payee:paid", creditAccountId: "payee:paid", amount: 1), .sameAccount),
            (LedgerTransfer(id: "c", debitAccountId: "world", creditAccountId: "other-asset", amount: 1), .assetMismatch),
            (LedgerTransfer(id: "d", debitAccountId: "world", creditAccountId: "payee:paid", amount: 0), .zeroAmount),
            (LedgerTransfer(id: "e", debitAccountId: "world", creditAccountId: "payee:paid", amount: .max), .overflow),
            (LedgerTransfer(id: "f", debitAccountId: "world", creditAccountId: "payee:paid", amount: 1,
                            kind: .postPending(pendingId: "none")), .pendingNotFound),
        ]
        _ = ledger.apply(LedgerTransfer(id: "seed", debitAccountId: "world", creditAccountId: "payee:paid", amount: 1), at: 0)
        for (transfer, rejection) in cases {
            #expect(ledger.apply(transfer, at: 1) == .rejected(rejection), "\(transfer.id)")
        }
        #expect(ledger.journal == before.journal + ["seed"])
        #expect(ledger.check().balances)
    }

    @Test func aHoldReservesThenPostsPartAndReleasesTheRest() {
        var ledger = makeLedger(ownerTopUp: 1_000)
        let hold = LedgerTransfer(
            id: "hold", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 800,
            kind: .pending(timeoutSeconds: 60))
        #expect(ledger.apply(hold, at: 100) == .created)
        #expect(ledger.accounts["owner:prepaid"]?.available == 200)
        // The held funds cannot be spent twice.
        let other = LedgerTransfer(id: "other", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 201)
        #expect(ledger.apply(other, at: 101) == .rejected(.exceedsCredits))
        let overPost = LedgerTransfer(
            id: "capture-too-much", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 801,
            kind: .postPending(pendingId: "hold"))
        #expect(ledger.apply(overPost, at: 110) == .rejected(.amountExceedsPending))
        let capture = LedgerTransfer(
            id: "capture", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 615,
            kind: .postPending(pendingId: "hold"))
        #expect(ledger.apply(capture, at: 110) == .created)
        #expect(ledger.accounts["owner:prepaid"]?.available == 385)
        #expect(ledger.accounts["payee:receivable"]?.creditBalance == 615)
        #expect(ledger.pendingStates["hold"] == .posted)
        let again = LedgerTransfer(
            id: "capture-2", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 1,
            kind: .postPending(pendingId: "hold"))
        #expect(ledger.apply(again, at: 111) == .rejected(.pendingAlreadyPosted))
        #expect(ledger.check().balances)
    }

    @Test func anExpiredHoldIsReleasedAndCannotBePosted() {
        var ledger = makeLedger(ownerTopUp: 1_000)
        _ = ledger.apply(
            LedgerTransfer(
                id: "hold", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 500,
                kind: .pending(timeoutSeconds: 60)), at: 100)
        #expect(ledger.expirePending(at: 159) == [])
        let late = LedgerTransfer(
            id: "late", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 500,
            kind: .postPending(pendingId: "hold"))
        #expect(ledger.apply(late, at: 160) == .rejected(.pendingExpired))
        #expect(ledger.expirePending(at: 160) == ["hold"])
        #expect(ledger.accounts["owner:prepaid"]?.available == 1_000)
        #expect(ledger.apply(late, at: 161) == .rejected(.pendingExpired))
        #expect(ledger.check().balances)
    }

    @Test func aLinkedBatchIsAllOrNothing() {
        var ledger = makeLedger(ownerTopUp: 100)
        let before = ledger
        let batch = [
            LedgerTransfer(id: "one", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 60),
            LedgerTransfer(id: "two", debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: 60),
            LedgerTransfer(id: "three", debitAccountId: "payee:receivable", creditAccountId: "payee:paid", amount: 10),
        ]
        #expect(ledger.apply(batch, at: 5, linked: true)
            == [.rejected(.linkedTransferFailed), .rejected(.exceedsCredits), .rejected(.linkedTransferFailed)])
        #expect(ledger == before)
        #expect(ledger.apply(batch, at: 5, linked: false) == [.created, .rejected(.exceedsCredits), .created])
        #expect(ledger.check().balances)
    }

    /// Random top-ups, charges, holds, captures, voids and settlements: after every step the ledger balances, no
    /// account breaks its constraint, and the journal replays to the stored amounts.
    @Test func anySequenceOfTransfersKeepsTheLedgerBalanced() async {
        let steps = zip(Gen.int(in: 0...5), Gen.uint128(in: 0...1_000)).array(of: 1...60)
        await propertyCheck(input: steps) { steps in
            var ledger = makeLedger(ownerTopUp: 0)
            var openHolds: [String] = []
            for (index, (kind, amount)) in steps.enumerated() {
                let id = "t\(index)"
                let transfer: LedgerTransfer
                switch kind {
                case 0: transfer = LedgerTransfer(id: id, debitAccountId: "world", creditAccountId: "owner:prepaid", amount: amount)
                case 1:
                    transfer = LedgerTransfer(
                        id: id, debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: amount)
                case 2:
                    transfer = LedgerTransfer(
                        id: id, debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable", amount: amount,
                        kind: .pending(timeoutSeconds: 30))
                case 3, 4:
                    guard let hold = openHolds.popLast(), let held = ledger.transfers[hold] else { continue }
                    transfer = LedgerTransfer(
                        id: id, debitAccountId: "owner:prepaid", creditAccountId: "payee:receivable",
                        amount: kind == 3 ? min(amount, held.amount) : held.amount,
                        kind: kind == 3 ? .postPending(pendingId: hold) : .voidPending(pendingId: hold))
                default:
                    transfer = LedgerTransfer(
                        id: id, debitAccountId: "payee:receivable", creditAccountId: "payee:paid", amount: amount)
                }
                if ledger.apply(transfer, at: Int64(index)) == .created, case .pending = transfer.kind {
                    openHolds.append(id)
                }
                #expect(ledger.check().balances, "\(ledger.check().problems)")
            }
        }
    }
}
