import Foundation
import PBCore
import PBMetering
import PBPricing
import PBStore
import PBStoreSQLite

/// Usage-event ingestion (docs/PERFORMANCE.md): reported chat events, 1,000 to a batch, recorded into a file-backed
/// SQLite store in WAL mode through `MeteringStore.updateSession` (dedup lookup, pricing, debit, insert, one commit
/// per batch), sustained over `--events` (default 1,000,000); then the same with 8 concurrent writers of 125-event
/// batches, which the store group-commits. Also the in-memory cost of recording one event (pricing, carrying the
/// remainder, debiting, merging the statement).
@MainActor func runMeteringBenchmarks() async throws {
    let names = [
        "record 1,000 reported events in a session (no store)", "ingest usage events, 1 writer x 1,000-event batches",
        "ingest usage events, 8 writers x 125-event batches",
    ]
    if let filter, !names.contains(where: { $0.lowercased().contains(filter) }) { return }
    let plan = try PricePlan(config: PricePlanConfig(prices: [
        UnitPriceConfig(unit: "input_token", rate: "0.000002"), UnitPriceConfig(unit: "output_token", rate: "0.000008"),
    ]))
    let start = UnixTime(seconds: 1_764_000_000)
    @Sendable func batch(_ first: Int, _ count: Int, prefix: String) -> [ReportedUsage] {
        var usages: [ReportedUsage] = []
        usages.reserveCapacity(count)
        for index in first..<(first + count) {
            let input = UsageQuantity(unit: .inputToken, quantity: UInt64(100 + index % 1_000))
            let output = UsageQuantity(unit: .outputToken, quantity: UInt64(50 + index % 300))
            usages.append(ReportedUsage(id: prefix + String(index), at: start, quantities: [input, output]))
        }
        return usages
    }

    var account = try Account(id: "bench", asset: .usdc, createdAt: start)
    try account.credit(try Asset.usdc.amount("1000000000"), at: start)
    let inMemory = try MeterSession(id: "m", account: account, service: "chat", plan: plan, timeMetering: nil, at: start)
    let thousand = batch(0, 1_000, prefix: "m")
    _ = measure(names[0], iterations: max(iterations / 1_000, 5)) {
        var update = try! SessionUpdate(session: inMemory, account: account)
        try! update.record(thousand, alreadyRecorded: [], at: start)
        return UInt64(truncatingIfNeeded: update.debited.baseUnits)
    }.nanosecondsPerOperation

    let total = argument("--events", default: 1_000_000)
    for (writers, batchSize) in [(1, 1_000), (8, 125)] {
        let name = names[writers == 1 ? 1 : 2]
        if let filter, !name.lowercased().contains(filter) { continue }
        let directory = NSTemporaryDirectory() + "pb-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteGatewayStore(dataDirectory: directory, clock: ManualWallClock(start))
        _ = try await store.createAccount(try Account(id: "bench", asset: .usdc, createdAt: start))
        _ = try await store.topUp(accountId: "bench", topUpId: "t", amount: try Asset.usdc.amount("1000000000"), at: start)
        let funded = try await store.account("bench")!
        for writer in 0..<writers {
            let session = try MeterSession(id: "s\(writer)", account: funded, service: "chat", plan: plan, timeMetering: nil, at: start)
            _ = try await store.createSession(session)
        }
        let perWriter = total / writers
        let began = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var first = 0
                    while first < perWriter {
                        let usages = batch(first, min(batchSize, perWriter - first), prefix: "w\(writer)-")
                        _ = try await store.updateSession("s\(writer)", usageIds: usages.map(\.id)) { update, recorded in
                            try update.record(usages, alreadyRecorded: recorded, at: start)
                        }
                        first += batchSize
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var recorded: UInt64 = 0
        for writer in 0..<writers { recorded += try await store.session("s\(writer)")?.usageEventCount ?? 0 }
        let rate = String(format: "%12.0f", Double(recorded) / seconds)
        print("\(name.padding(toLength: 52, withPad: " ", startingAt: 0)) \(rate) events/s (\(recorded) events in \(String(format: "%.2f", seconds)) s)")
    }
}
