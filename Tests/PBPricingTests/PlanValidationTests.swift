import Foundation
import PBCore
import PBPricing
import Testing

/// Invalid plans are rejected when built, and the error names the config field at fault.
@Suite struct PlanValidationTests {
    /// A valid plan in the config format; each case below breaks one field of it.
    private static func validConfig() -> PricePlanConfig {
        PricePlanConfig(
            timeZone: "Europe/Berlin",
            peakWindows: [PeakWindowConfig(name: "evening", days: ["mon", "fri"], from: "18:00", to: "22:00", multiplier: "1.5")],
            prices: [
                UnitPriceConfig(unit: "input_token", rate: "0.000002"),
                UnitPriceConfig(
                    unit: "output_token", model: "graduated",
                    tiers: [PriceTierConfig(upTo: 1_000, rate: "0.00001", flatFee: "0.01"), PriceTierConfig(rate: "0.000008")],
                    freeUnits: 100, minimum: "0.001"),
                UnitPriceConfig(unit: "byte", model: "package", packageSize: 1_000_000, packagePrice: "0.01"),
                UnitPriceConfig(unit: "second", dimension: ["gpu": "H100"], rate: "0.002"),
            ])
    }

    @Test func validConfigBuilds() throws {
        let plan = try PricePlan(config: Self.validConfig())
        #expect(plan.prices.count == 4)
        #expect(plan.peakSchedule?.windows.first?.name == "evening")
    }

    @Test(arguments: [
        ("unsorted tiers", "prices[1].tiers[1].upTo", { @Sendable (config: inout PricePlanConfig) in
            config.prices[1].tiers = [
                PriceTierConfig(upTo: 1_000, rate: "0.1"), PriceTierConfig(upTo: 500, rate: "0.1"), PriceTierConfig(rate: "0.1"),
            ]
        }),
        ("open-ended tier before the last", "prices[1].tiers[0].upTo", { config in
            config.prices[1].tiers = [PriceTierConfig(rate: "0.1"), PriceTierConfig(rate: "0.1")]
        }),
        ("bounded last tier", "prices[1].tiers[1].upTo", { config in
            config.prices[1].tiers = [PriceTierConfig(upTo: 10, rate: "0.1"), PriceTierConfig(upTo: 20, rate: "0.1")]
        }),
        ("first tier of zero units", "prices[1].tiers[0].upTo", { config in
            config.prices[1].tiers = [PriceTierConfig(upTo: 0, rate: "0.1"), PriceTierConfig(rate: "0.1")]
        }),
        ("no tiers", "prices[1].tiers", { config in config.prices[1].tiers = [] }),
        ("zero package size", "prices[2].packageSize", { config in config.prices[2].packageSize = 0 }),
        ("multiplier 0", "peakWindows[0].multiplier", { config in config.peakWindows?[0].multiplier = "0" }),
        ("multiplier with 7 decimals", "peakWindows[0].multiplier", { config in
            config.peakWindows?[0].multiplier = "1.0000001"
        }),
        ("unknown time zone", "timeZone", { config in config.timeZone = "Mars/Olympus_Mons" }),
        ("windows without a time zone", "timeZone", { config in config.timeZone = nil }),
        ("from == to", "peakWindows[0].to", { config in config.peakWindows?[0].to = "18:00" }),
        ("bad time of day", "peakWindows[0].from", { config in config.peakWindows?[0].from = "24:00" }),
        ("bad day", "peakWindows[0].days[1]", { config in config.peakWindows?[0].days = ["mon", "friday"] }),
        ("overlapping windows", "peakWindows[1]", { config in
            config.peakWindows?.append(
                PeakWindowConfig(name: "late", days: ["sun"], from: "23:00", to: "19:00", multiplier: "2"))
        }),
        ("repeated window name", "peakWindows[1].name", { config in
            config.peakWindows?.append(
                PeakWindowConfig(name: "evening", days: ["sat"], from: "18:00", to: "22:00", multiplier: "2"))
        }),
        ("rate finer than the rate scale", "prices[0].rate", { config in
            config.prices[0].rate = "0.0000000000000000001"
        }),
        ("negative rate", "prices[0].rate", { config in config.prices[0].rate = "-0.1" }),
        ("missing rate", "prices[0].rate", { config in config.prices[0].rate = nil }),
        ("flat fee below a base unit", "prices[1].tiers[0].flatFee", { config in
            config.prices[1].tiers?[0].flatFee = "0.0000001"
        }),
        ("unknown unit", "prices[0].unit", { config in config.prices[0].unit = "secnd" }),
        ("unknown model", "prices[0].model", { config in config.prices[0].model = "tiered" }),
        ("rate on a package", "prices[2].rate", { config in config.prices[2].rate = "0.1" }),
        ("two dimension keys", "prices[3].dimension", { config in
            config.prices[3].dimension = ["gpu": "H100", "region": "eu"]
        }),
        ("repeated dimension value", "prices[4].dimension", { config in
            config.prices.append(UnitPriceConfig(unit: "second", dimension: ["gpu": "H100"], rate: "0.003"))
        }),
        ("second dimension key for a unit", "prices[4].dimension", { config in
            config.prices.append(UnitPriceConfig(unit: "second", dimension: ["model": "large"], rate: "0.003"))
        }),
        ("two fallbacks for a unit", "prices[4].unit", { config in
            config.prices.append(UnitPriceConfig(unit: "input_token", rate: "0.000003"))
        }),
        ("minimum with too many decimals", "prices[1].minimum", { config in config.prices[1].minimum = "0.0000001" }),
        ("no prices", "prices", { config in config.prices = [] }),
        ("bad decimals", "decimals", { config in config.decimals = 40 }),
    ] as [(String, String, @Sendable (inout PricePlanConfig) -> Void)])
    func invalidPlanNamesTheField(
        _ problem: String, field: String, breaking: @Sendable (inout PricePlanConfig) -> Void
    ) throws {
        var config = Self.validConfig()
        breaking(&config)
        let error = try #require(throws: PricingError.self, "\(problem)") { try PricePlan(config: config) }
        #expect(error.kind == .invalidPlan, "\(problem)")
        #expect(error.field == field, "\(problem): \(error)")
    }

    /// A price in another asset's decimals is rejected with the field of that price.
    @Test func priceInAnotherAssetIsRejected() throws {
        let weiRate = try Asset.eth.rate("0.000000001")
        let error = try #require(throws: PricingError.self) {
            try PricePlan(asset: .usdc, prices: [UnitPrice(unit: .call, model: .standard(rate: weiRate))])
        }
        #expect(error.field == "prices[0].rate")
    }

    @Test func overridesAreValidated() throws {
        let backwards = RateOverrideConfig(
            id: "late", multiplier: "1.2", notBeforeMilliseconds: 2_000, notAfterMilliseconds: 1_000)
        let error = try #require(throws: PricingError.self) { try RateOverride(config: backwards, decimals: 6) }
        #expect(error.field == "notAfter")
        let both = RateOverrideConfig(id: "both", multiplier: "1.2", price: "0.1")
        #expect(try #require(throws: PricingError.self) { try RateOverride(config: both, decimals: 6) }.field == "multiplier")
        let zero = RateOverrideConfig(id: "zero", multiplier: "0")
        #expect(try #require(throws: PricingError.self) { try RateOverride(config: zero, decimals: 6) }.field == "multiplier")
    }

    /// The config format round-trips through JSON with decimal strings, and back to an equal plan.
    @Test func planRoundTripsThroughJSON() throws {
        let plan = try PricePlan(config: Self.validConfig())
        let json = try JSONEncoder().encode(plan)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"0.000002\""))
        #expect(text.contains("\"1.5\""))
        #expect(try JSONDecoder().decode(PricePlan.self, from: json) == plan)
        #expect(try PricePlan(config: plan.config) == plan)
        let override = try RateOverride(
            config: RateOverrideConfig(id: "surge", unit: "second", price: "0.004", notBeforeMilliseconds: 5), decimals: 6)
        #expect(try RateOverride(config: override.config, decimals: 6) == override)
    }

    /// Errors from a plan's JSON keep their field.
    @Test func decodingReportsTheField() throws {
        let json = Data(#"{"prices": [{"unit": "call", "model": "package", "packageSize": 0, "packagePrice": "1"}]}"#.utf8)
        let error = try #require(throws: PricingError.self) { try JSONDecoder().decode(PricePlan.self, from: json) }
        #expect(error.field == "prices[0].packageSize")
    }
}
