import PBCore
import PBPricing

/// The worked examples of docs/METERING.md, shared by the tests, the store suite and `pb demo rental` / `pb demo gpu`
/// so that every place runs exactly the same plans and instants. Prices are in USDC ("U"), 6 decimals.
public enum MeteringExamples {
    /// Monday 2 June 2025, 00:00 UTC (summer time in Berlin: 18:00 local is 16:00 UTC).
    public static let rentalDay = UnixTime(seconds: 1_748_822_400)

    /// 0.5 U per hour; weekday evenings 18:00-23:00 in Europe/Berlin at 1.5x (0.75 U per hour).
    public static func rentalPlan() throws(PricingError) -> PricePlan {
        try PricePlan(
            config: PricePlanConfig(
                asset: "USDC", decimals: 6, timeZone: "Europe/Berlin",
                peakWindows: [
                    PeakWindowConfig(
                        name: "evening", days: ["mon", "tue", "wed", "thu", "fri"], from: "18:00", to: "23:00",
                        multiplier: "1.5")
                ],
                prices: [UnitPriceConfig(unit: "hour", rate: "0.5")]))
    }

    /// 18:30-22:00 Berlin: 3.5 h wholly inside the peak window, 2.625 U.
    public static let rentalInsidePeak = (
        start: rentalDay.adding(seconds: 16 * 3600 + 1800), end: rentalDay.adding(seconds: 20 * 3600)
    )
    /// 17:00-20:30 Berlin: 1 h before the window and 2.5 h in it, 0.5 + 1.875 = 2.375 U.
    public static let rentalAcrossPeakStart = (
        start: rentalDay.adding(seconds: 15 * 3600), end: rentalDay.adding(seconds: 18 * 3600 + 1800)
    )

    /// 0.001 U per GPU-second.
    public static func gpuPlan() throws(PricingError) -> PricePlan {
        try PricePlan(config: PricePlanConfig(asset: "USDC", decimals: 6, prices: [UnitPriceConfig(unit: "second", rate: "0.001")]))
    }

    /// The GPU example's top-up: 100 U, which 0.001 U/s spends in exactly 100,000 seconds.
    public static let gpuTopUp = try! Asset.usdc.amount("100")
}
