import Foundation
import Logging
import PBCore
import PBGateway
import PBMetering
import PBStore
import PBStoreSQLite

/// What `pb demo rental` and `pb demo gpu` share: the real metering stack (an in-memory SQLite store, `Meter` and the
/// gateway's `MeteringService`) on a manual clock that jumps from one due instant to the next, so hours of
/// metering finish in milliseconds with exactly the charges the gateway would make in real time.
struct MeteringDemo {
    let clock: ManualWallClock
    let store: SQLiteGatewayStore
    let meter: Meter
    let service: MeteringService
    /// The last merchant event printed.
    private var lastEventSequence: Int64 = 0

    init(start: UnixTime) throws {
        clock = ManualWallClock(start)
        store = try SQLiteGatewayStore.inMemory(clock: clock)
        meter = Meter(store: store, clock: clock)
        var logger = Logger(label: "pb.demo.metering")
        logger.logLevel = .critical
        service = MeteringService(meter: meter, delivery: nil, logger: logger)
    }

    static func usdc(_ text: String) throws -> Amount { try Asset.usdc.amount(text) }

    /// Ticks the metering service at every instant the session is due until `end` (or until it stops).
    func run(_ sessionId: String, until end: UnixTime) async throws {
        while let session = try await store.session(sessionId), session.isActive,
            let account = try await store.account(session.accountId)
        {
            let due = min(try SessionUpdate(session: session, account: account).nextDueAt() ?? end, end)
            clock.set(due)
            await service.tick()
            if due >= end { return }
        }
    }

    /// The merchant events stored since the last call, oldest first.
    mutating func newEvents() async throws -> [MeteringEvent] {
        let page = try await store.meteringEvents(accountId: nil, sessionId: nil, after: nil, limit: 500)
        let fresh = page.items.filter { $0.sequence > lastEventSequence }.reversed()
        lastEventSequence = fresh.last?.sequence ?? lastEventSequence
        return Array(fresh)
    }

    /// `2025-06-02 17:00 Europe/Berlin`-style local time for the rental's story.
    static func localTime(_ time: UnixTime, zone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone)
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time.seconds)))
    }

    /// One statement line in words: `2.5 h at 0.5 x1.5 (peak 'evening') = 1.875`.
    static func describe(_ line: StatementLine) -> String {
        let timeUnits: [String: (milliseconds: UInt128, symbol: String)] = [
            "hour": (3_600_000, "h"), "minute": (60_000, "min"), "second": (1_000, "s"),
        ]
        let quantity = timeUnits[line.unit].map {
            DecimalString.format(UInt128(line.meteredQuantity) * 1000 / $0.milliseconds, fractionDigits: 3, trimmed: true)
                + " " + $0.symbol
        } ?? "\(line.meteredQuantity) \(line.unit)"
        let peak = line.peakWindow.map { " (peak '\($0)')" } ?? ""
        return "\(quantity) at \(line.rate ?? "-") x\(line.multiplier)\(peak) = \(line.exactAmount.decimalString)"
    }
}
