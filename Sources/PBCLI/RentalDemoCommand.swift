import ArgumentParser
import PBCore
import PBGateway
import PBMetering

/// The seed's rental scenario through real metered sessions: 0.5 U/hour, 0.75 U/hour in the weekday evening peak
/// (18:00-23:00 Berlin). Finishes at once: a manual clock stands in for the hours.
struct RentalDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rental",
        abstract: "Hourly rentals across a peak window, metered by the gateway's own ticker on a manual clock.",
        discussion: "Prints the exact figures of docs/METERING.md and exits (no server is started).")

    func run() async throws {
        let zone = "Europe/Berlin"
        let rentals = [("inside", MeteringExamples.rentalInsidePeak), ("across", MeteringExamples.rentalAcrossPeakStart)]
        print("== pb demo rental: 0.5 U/hour, 0.75 U/hour (x1.5) on weekday evenings 18:00-23:00 \(zone)")
        let demo = try MeteringDemo(start: MeteringExamples.rentalDay)
        _ = try await demo.meter.openAccount(id: "renter", asset: .usdc, lowBalance: LowBalancePolicy())
        _ = try await demo.meter.topUp(accountId: "renter", topUpId: "renter-topup", amount: MeteringDemo.usdc("10"))
        print("account renter topped up with 10 U")
        for (name, times) in rentals {
            demo.clock.set(times.start)
            let session = try await demo.meter.startSession(
                id: "rental-\(name)", accountId: "renter", service: "rental", plan: MeteringExamples.rentalPlan(),
                timeMetering: TimeMetering(unit: .hour, intervalSeconds: 900))
            try await demo.run(session.id, until: times.end)
            _ = try await demo.meter.stop(sessionId: session.id)
            guard let statement = try await demo.meter.statement(sessionId: session.id) else {
                throw CommandFailure("session \(session.id) vanished")
            }
            print("\nrental \(MeteringDemo.localTime(times.start, zone: zone)) - \(MeteringDemo.localTime(times.end, zone: zone).suffix(5)):")
            for line in statement.lines { print("  \(MeteringDemo.describe(line))") }
            let parts = statement.lines.map(\.exactAmount.decimalString)
            let sum = parts.count > 1 ? parts.joined(separator: " + ") + " = " : ""
            print("  total \(sum)\(statement.charged.decimalString) U (exact \(statement.exactTotal.decimalString), remainder \(statement.remainder.decimalString))")
        }
        let account = try await demo.store.account("renter")
        print("\nbalance left: \(account?.balance.decimalString ?? "?") U of 10 U; spent \(account?.spent.decimalString ?? "?") U")
    }
}
