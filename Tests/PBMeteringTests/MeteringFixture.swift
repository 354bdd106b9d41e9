import PBCore
import PBMetering
import PBPricing

/// A session and its account driven through `SessionUpdate` the way the store and the gateway do: each change
/// computed from the current state, then kept; every event collected.
struct MeteringFixture {
    var session: MeterSession
    var account: Account
    var events: [MeteringEvent] = []
    var debitedTotal: Amount

    static func usdc(_ text: String) -> Amount { try! Asset.usdc.amount(text) }

    /// An account topped up with `balance` at `start` and an active session on it.
    init(
        plan: PricePlan, metering: TimeMetering?, balance: Amount, at start: UnixTime,
        lowBalance: LowBalancePolicy = try! LowBalancePolicy()
    ) throws {
        var account = try Account(id: "agent-1", asset: .usdc, lowBalance: lowBalance, createdAt: start)
        try account.credit(balance, at: start)
        let session = try MeterSession(
            id: "session-1", account: account, service: "gpu", plan: plan, timeMetering: metering, at: start)
        _ = try SessionUpdate.start(session, account: account)
        self.session = session
        self.account = account
        debitedTotal = .zero(of: .usdc)
    }

    mutating func change(_ body: (inout SessionUpdate) throws(MeteringError) -> Void) throws {
        var update = try SessionUpdate(session: session, account: account)
        try body(&update)
        session = update.session
        account = update.account
        events += update.events
        debitedTotal = try debitedTotal.adding(update.debited)
    }

    /// Advances at every `nextDueAt` until `end` (or the session stops), as the gateway's ticker does.
    mutating func tick(until end: UnixTime) throws {
        while session.isActive {
            var due = try SessionUpdate(session: session, account: account).nextDueAt() ?? end
            due = min(due, end)
            try change { (update) throws(MeteringError) in try update.advance(to: due) }
            if due == end { break }
        }
    }

    func events(_ kind: MeteringEvent.Kind) -> [MeteringEvent] { events.filter { $0.kind == kind } }
}
