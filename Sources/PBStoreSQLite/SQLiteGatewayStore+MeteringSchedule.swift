import PBCore
import PBMetering
import PBStore

/// When the ticker next advances the sessions of one account (`next_due_at_ms`).
extension SQLiteGatewayStore {
    /// The next tick of `session` after an update at `now`, rescheduling the account's other active time-metered
    /// sessions too. Alone, a session is due at the end of its interval or earlier, at the second its balance runs
    /// out (`SessionUpdate.nextDueAt`). With others on the same balance that second comes sooner: every one of them
    /// is then due no later than the second the balance runs out with all of them running (the joint forecast of
    /// time metering), and at least a second after it last metered, so none runs unpaid past the balance until
    /// its own next tick.
    static func schedule(
        _ session: MeterSession, account: Account, fundingEnd: FundingEnd?, now: UnixTime, in database: SQLiteConnection
    ) throws(StoreError) -> UnixTime? {
        let own = try nextDue(session, account: account, fundingEnd: fundingEnd)
        let siblings = try database.query(
            """
            SELECT document FROM meter_sessions
            WHERE account_id = ? AND next_due_at_ms IS NOT NULL AND session_id <> ? LIMIT 500
            """, [.text(account.id), .text(session.id)]
        ).map { (row) throws(StoreError) in try SQLiteMeteringRows.session(try row.text(0)) }
        guard !siblings.isEmpty else { return own }
        let running = siblings + (session.isActive && session.timeMetering != nil ? [session] : [])
        let joint: UnixTime?
        do {
            joint = try DepletionForecast.depletionTime(of: account, sessions: running, at: now, includingReported: false)
        } catch { throw StoreError("the account \(account.id)'s joint forecast failed: \(error)") }
        func capped(_ due: UnixTime?, _ session: MeterSession) -> UnixTime? {
            guard let due, let joint else { return due }
            return min(due, max(joint, session.meteredUntil.adding(seconds: 1)))
        }
        for sibling in siblings {
            guard let due = capped(try nextDue(sibling, account: account, fundingEnd: fundingEnd), sibling) else { continue }
            try database.query(
                "UPDATE meter_sessions SET next_due_at_ms = ? WHERE session_id = ?", [.time(due), .text(sibling.id)])
        }
        return capped(own, session)
    }
}
