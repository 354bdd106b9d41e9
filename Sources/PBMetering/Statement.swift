import PBCore
import PBPricing

/// What a session cost and how it was paid: the merged charge lines, their exact total, the whole base units
/// charged (debited from the account), the carried rest below one base unit (never collected: totals round down),
/// and the account's top-ups since the session started.
///
/// `charged + remainder == exactTotal == sum of the lines' exact amounts`, always (checked when built).
public struct Statement: Sendable {
    public let sessionId: String
    public let accountId: String
    public let service: String
    public let asset: Asset
    public let state: SessionState
    public let startedAt: UnixTime
    public let stoppedAt: UnixTime?
    public let lines: [StatementLine]
    public let exactTotal: ExactAmount
    public let charged: Amount
    public let remainder: ExactAmount
    public let topUps: [TopUp]
    public let balance: Amount
    public let usageEventCount: UInt64

    public init(session: MeterSession, account: Account, topUps: [TopUp]) throws(MeteringError) {
        var sum = ExactAmount.zero(decimals: session.plan.asset.decimals)
        do throws(PricingError) {
            for line in session.statementLines { sum = try sum.adding(line.exactAmount) }
        } catch { throw .overflow }
        guard sum == session.exactTotal else {
            throw .invalid("statement", "session \(session.id)'s lines add up to \(sum), its charges to \(session.exactTotal)")
        }
        sessionId = session.id
        accountId = session.accountId
        service = session.service
        asset = session.plan.asset
        state = session.state
        startedAt = session.startedAt
        stoppedAt = session.stoppedAt
        lines = session.statementLines
        exactTotal = sum
        charged = session.charged
        remainder = session.carrier.remainder
        self.topUps = topUps.filter { $0.at >= session.startedAt }
        balance = account.balance
        usageEventCount = session.usageEventCount
    }
}

/// Checks of a reported batch before anything is priced or stored, each error naming the event at fault.
public enum UsageBatch {
    public static let maximumCount = 5_000

    public static func validate(_ usages: [ReportedUsage], plan: PricePlan) throws(MeteringError) {
        guard !usages.isEmpty else { throw .invalid("events", "send at least one event") }
        guard usages.count <= maximumCount else { throw .invalid("events", "at most \(maximumCount) events a batch") }
        var seen: [String: Int] = [:]
        seen.reserveCapacity(usages.count)
        for (index, usage) in usages.enumerated() {
            let field = "events[\(index)]"
            try MeteringName.validate(usage.id, field: "\(field).id")
            if let earlier = seen.updateValue(index, forKey: usage.id) {
                throw .invalid("\(field).id", "repeats events[\(earlier)].id '\(usage.id)'")
            }
            guard !usage.quantities.isEmpty else { throw .invalid("\(field).quantities", "name at least one unit") }
            var units: Set<PricingUnit> = []
            for quantity in usage.quantities {
                guard units.insert(quantity.unit).inserted else {
                    throw .invalid("\(field).quantities", "names '\(quantity.unit)' twice")
                }
                do throws(PricingError) { _ = try plan.price(of: quantity.unit, dimensions: usage.dimensions) } catch {
                    throw .pricing(error, field: "\(field).quantities.\(quantity.unit)")
                }
            }
        }
    }
}
