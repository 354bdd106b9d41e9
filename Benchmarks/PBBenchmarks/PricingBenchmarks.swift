import PBCore
import PBPricing

/// Price computation per event (PBPricing), as the gateway will do on every metered call: usage in, exact breakdown
/// and rounded total out. Monday 2 June 2025 in Europe/Berlin, with a weekday 18:00-23:00 peak window at 1.5x.
@MainActor func runPricingBenchmarks() throws {
    let usdc = Asset.usdc
    let evening = try PeakSchedule(
        timeZone: "Europe/Berlin",
        windows: [
            PeakWindow(
                name: "evening", days: [.monday, .tuesday, .wednesday, .thursday, .friday],
                from: TimeOfDay(parsing: "18:00"), to: TimeOfDay(parsing: "23:00"), multiplier: Multiplier(parsing: "1.5"))
        ])
    let noon = UnixTime(seconds: 1_748_858_400)  // 2025-06-02T10:00:00Z, 12:00 in Berlin

    let chatPrices = [
        try UnitPrice(unit: .inputToken, model: .standard(rate: usdc.rate("0.000002"))),
        try UnitPrice(unit: .outputToken, model: .standard(rate: usdc.rate("0.000008"))),
    ]
    let chatPlan = try PricePlan(asset: usdc, prices: chatPrices)
    let chatEvent = UsageEvent.tokens(input: 1_200, output: 350, at: noon)
    _ = measure("price a chat event (input + output tokens)") {
        UInt64(truncatingIfNeeded: try! chatPlan.charge(chatEvent).total.baseUnits)
    }
    let peakChatPlan = try PricePlan(asset: usdc, prices: chatPrices, peakSchedule: evening)
    _ = measure("price a chat event under a peak schedule") {
        UInt64(truncatingIfNeeded: try! peakChatPlan.charge(chatEvent).total.baseUnits)
    }

    let rentalPlan = try PricePlan(
        asset: usdc, prices: [UnitPrice(unit: .hour, model: .standard(rate: usdc.rate("0.5")))], peakSchedule: evening)
    // 17:00-20:30 in Berlin: one hour at 0.5, then 2.5 hours in the window at 0.75.
    let rental = try UsageEvent.interval(
        from: UnixTime(seconds: 1_748_876_400), to: UnixTime(seconds: 1_748_889_000), pricedPer: .hour)
    _ = measure("price a 3.5 h rental split by a peak window") {
        UInt64(truncatingIfNeeded: try! rentalPlan.charge(rental).total.baseUnits)
    }

    let tiers = [
        PriceTier(upTo: 1_000, rate: try usdc.rate("0.01"), flatFee: try usdc.amount("1")),
        PriceTier(upTo: 5_000, rate: try usdc.rate("0.008")),
        PriceTier(upTo: nil, rate: try usdc.rate("0.005"), flatFee: try usdc.amount("2")),
    ]
    let tierPlan = try PricePlan(
        asset: usdc, prices: [UnitPrice(unit: .custom("image"), model: .graduated(tiers: tiers))])
    let tierEvent = UsageEvent.count(200, of: .custom("image"), at: noon, priorQuantity: 4_900)
    _ = measure("price a graduated event crossing a tier (flat fee)") {
        UInt64(truncatingIfNeeded: try! tierPlan.charge(tierEvent).total.baseUnits)
    }
    var carrier = ChargeCarrier(asset: usdc)
    _ = measure("price a chat event and carry its remainder") {
        UInt64(truncatingIfNeeded: try! carrier.collect(chatPlan.charge(chatEvent)).baseUnits)
    }
}
