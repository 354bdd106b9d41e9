import Foundation
import PBCore
import PBPricing
import PropertyBased
import Testing

/// Per-token chat and per-second GPU pricing: the figures of docs/PRICING.md, "Units" and "Per-dimension prices".
@Suite struct MeteredPricingTests {
    private static let scaledUnitsPerBaseUnit: UInt128 = 1_000_000_000_000

    private func chatPlan(input: String, output: String) throws -> PricePlan {
        try PricePlan(
            asset: .usdc,
            prices: [
                UnitPrice(unit: .inputToken, model: .standard(rate: Fixtures.rate(input))),
                UnitPrice(unit: .outputToken, model: .standard(rate: Fixtures.rate(output))),
            ])
    }

    /// Calls with random token counts (1...4000 each way, seeded), each priced and collected through the
    /// round-down-and-carry rule, against the total computed here from the token sums with plain integers. The
    /// first case is the brief's million calls at 0.000002 / 0.000008 USDC per token; the second uses sub-unit
    /// prices (0.15 and 0.6 base units per token) where carrying the remainder matters.
    @Test(arguments: [
        (1_000_000, "0.000002", UInt128(2_000_000_000_000), "0.000008", UInt128(8_000_000_000_000)),
        (100_000, "0.00000015", 150_000_000_000, "0.0000006", 600_000_000_000),
    ])
    func manyCallsAccrueWithoutDrift(
        calls: Int, inputPrice: String, inputScaledUnits: UInt128, outputPrice: String, outputScaledUnits: UInt128
    ) async throws {
        let plan = try chatPlan(input: inputPrice, output: outputPrice)
        var generator = Xoshiro(seed: (402, 0x5eed, 7, 11))  // seeded: the same calls on every run
        var carrier = ChargeCarrier(asset: .usdc)
        var inputTokens: UInt128 = 0
        var outputTokens: UInt128 = 0
        var collected: UInt128 = 0
        let time = Fixtures.utc(2025, 6, 2, 12)
        for call in 0..<calls {
            // Tens of seconds of pricing on one of the two cooperative threads would starve the suite's live
            // gateways (their 5 s upstream timeouts fired); yielding lets them run in between.
            if call % 10_000 == 0 { await Task.yield() }
            let input = 1 + generator.next() % 4000
            let output = 1 + generator.next() % 4000
            inputTokens += UInt128(input)
            outputTokens += UInt128(output)
            collected += try carrier.collect(plan.charge(.tokens(input: input, output: output, at: time))).baseUnits
        }
        let exactScaledUnits = inputTokens * inputScaledUnits + outputTokens * outputScaledUnits
        #expect(carrier.chargeCount == UInt64(calls))
        #expect(collected == carrier.charged.baseUnits)
        #expect(carrier.charged.baseUnits == exactScaledUnits / Self.scaledUnitsPerBaseUnit)
        #expect(
            carrier.remainder.low
                == exactScaledUnits % Self.scaledUnitsPerBaseUnit * ExactAmount.unitsPerScaledUnit)
    }

    /// 1,200 input and 350 output tokens: 0.0024 + 0.0028 = 0.0052 USDC, one line per unit.
    @Test func oneChatCompletion() throws {
        let charge = try chatPlan(input: "0.000002", output: "0.000008")
            .charge(.tokens(input: 1_200, output: 350, at: Fixtures.utc(2025, 6, 2)))
        #expect(charge.lines.map(\.unit) == [.inputToken, .outputToken])
        #expect(charge.lines.map(\.exactAmount.decimalString) == ["0.0024", "0.0028"])
        #expect(charge.total == (try Fixtures.amount("0.0052")))
    }

    /// GPU seconds: 0.001 USDC per second for any GPU, with A100 and H100 priced by the `gpu` dimension.
    private func gpuPlan(withFallback: Bool = true) throws -> PricePlan {
        var prices = [
            try UnitPrice(
                unit: .second, dimension: DimensionValue(key: "gpu", value: "A100"),
                model: .standard(rate: Fixtures.rate("0.0012"))),
            try UnitPrice(
                unit: .second, dimension: DimensionValue(key: "gpu", value: "H100"),
                model: .standard(rate: Fixtures.rate("0.0025"))),
        ]
        if withFallback { prices.append(try UnitPrice(unit: .second, model: .standard(rate: Fixtures.rate("0.001")))) }
        return try PricePlan(asset: .usdc, prices: prices)
    }

    @Test func gpuSecondsPricedPerDimension() throws {
        let plan = try gpuPlan()
        let start = Fixtures.utc(2025, 6, 2, 9)
        func cost(_ seconds: Int64, gpu: String?) throws -> Charge {
            try plan.charge(
                UsageEvent.interval(
                    from: start, to: start.adding(seconds: seconds), pricedPer: .second,
                    dimensions: gpu.map { ["gpu": $0] } ?? [:]))
        }
        #expect(try cost(3_600, gpu: "H100").total == (try Fixtures.amount("9")))
        #expect(try cost(90, gpu: "A100").total == (try Fixtures.amount("0.108")))
        #expect(try cost(60, gpu: "L4").total == (try Fixtures.amount("0.06")))  // no L4 price: the fallback
        #expect(try cost(60, gpu: nil).total == (try Fixtures.amount("0.06")))
        #expect(try cost(1, gpu: "H100").lines.first?.dimension == DimensionValue(key: "gpu", value: "H100"))
    }

    /// Pro rata to the millisecond: 1.5 s at 0.001 USDC per second is 0.0015 USDC.
    @Test func gpuTimeIsProRataToTheMillisecond() throws {
        let start = Fixtures.utc(2025, 6, 2, 9)
        let event = try UsageEvent.interval(
            from: start, to: start.adding(milliseconds: 1_500), pricedPer: .second)
        #expect(try gpuPlan().charge(event).total == (try Fixtures.amount("0.0015")))
    }

    @Test func unknownDimensionWithoutFallbackIsUnpriced() throws {
        let plan = try gpuPlan(withFallback: false)
        let event = try UsageEvent.interval(
            from: Fixtures.utc(2025, 6, 2), to: Fixtures.utc(2025, 6, 2, 1), pricedPer: .second,
            dimensions: ["gpu": "B200"])
        let error = try #require(throws: PricingError.self) { try plan.charge(event) }
        #expect(error.kind == .unpricedUnit)
        #expect(throws: PricingError.self) { try plan.charge(.count(1, of: .call, at: Fixtures.utc(2025, 6, 2))) }
    }

    /// One millisecond of 1 base unit per hour is 1/3,600,000 of a base unit: exact, not representable as a
    /// terminating decimal, and carried until it adds up.
    @Test func subUnitTimeFractionsAreCarriedExactly() throws {
        let plan = try Fixtures.standardPlan(.hour, rate: "0.000001")
        var carrier = ChargeCarrier(asset: .usdc)
        let start = Fixtures.utc(2025, 6, 2)
        let oneMillisecond = try UsageEvent.interval(from: start, to: start.adding(milliseconds: 1), pricedPer: .hour)
        let charge = try plan.charge(oneMillisecond)
        #expect(charge.total.isZero)
        #expect(!charge.exactTotal.isTerminatingDecimal)
        #expect(charge.exactTotal.unitsString == "1000000000000000000000000")  // 3.6e30 / 3.6e6
        for _ in 0..<35 { #expect(try carrier.collect(charge).isZero) }
        let almostAnHour = try UsageEvent.interval(
            from: start, to: start.adding(milliseconds: 3_600_000 - 36), pricedPer: .hour)
        #expect(try carrier.collect(plan.charge(almostAnHour)).isZero)  // 3,599,999 ms so far
        #expect(try carrier.collect(charge).baseUnits == 1)  // the last millisecond completes the hour
        #expect(carrier.remainder.isZero)
    }

    /// A carrier persists its remainder exactly (as a digit string) and refuses a stored remainder of a whole unit.
    @Test func carrierSurvivesARestart() throws {
        let plan = try Fixtures.standardPlan(.hour, rate: "0.000001")
        let start = Fixtures.utc(2025, 6, 2)
        var carrier = ChargeCarrier(asset: .usdc)
        try carrier.collect(plan.charge(UsageEvent.interval(from: start, to: start.adding(seconds: 5_399), pricedPer: .hour)))
        let restored = try JSONDecoder().decode(ChargeCarrier.self, from: JSONEncoder().encode(carrier))
        #expect(restored == carrier)
        #expect(restored.charged.baseUnits == 1)
        #expect(!restored.remainder.isZero)
        #expect(throws: PricingError.self) {
            try ChargeCarrier(
                asset: .usdc, charged: .zero(of: .usdc), remainderUnits: ExactAmount.unitsPerBaseUnit, chargeCount: 0)
        }
    }
}
