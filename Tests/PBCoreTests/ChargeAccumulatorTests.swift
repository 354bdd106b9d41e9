import Foundation
import PBCore
import PropertyBased
import Testing

@Suite struct ChargeAccumulatorTests {
    private static let scaledUnitsPerBaseUnit: UInt128 = 1_000_000_000_000

    @Test func carriesTheRemainder() throws {
        var accumulator = ChargeAccumulator(asset: .usdc)
        let rate = try Asset.usdc.rate("0.00000015")  // 0.15 base units per token
        #expect(try accumulator.charge(3, at: rate).baseUnits == 0)  // 0.45: nothing whole yet
        #expect(try accumulator.charge(3, at: rate).baseUnits == 0)  // 0.90
        #expect(try accumulator.charge(3, at: rate).baseUnits == 1)  // 1.35: one unit, 0.35 carried
        #expect(accumulator.remainderScaledUnits == 350_000_000_000)
        let closing = accumulator.close()
        #expect(closing.charged.decimalString == "0.000001")
        #expect(closing.unchargedDecimalString == "0.00000035")
        #expect(closing.exactTotalDecimalString == "0.00000135")
        #expect(accumulator.chargeCount == 3)
    }

    /// Many calls, each charging random input and output token counts (1...4000) at two prices, checked against
    /// a total computed independently from the token sums times the prices written out in the 10^-18 scale.
    /// The first case is the brief's one million charges at 0.000002 / 0.000008 USDC per token; the second uses
    /// sub-unit prices (0.15 and 0.6 base units per token) where carrying the remainder matters.
    @Test(arguments: [
        (500_000, "0.000002", UInt128(2_000_000_000_000), "0.000008", UInt128(8_000_000_000_000)),
        (50_000, "0.00000015", 150_000_000_000, "0.0000006", 600_000_000_000),
    ])
    func manyChargesMatchIndependentTotal(
        calls: Int, inputPrice: String, inputScaledUnits: UInt128, outputPrice: String, outputScaledUnits: UInt128
    ) throws {
        var generator = SeededGenerator(seed: 402)
        var accumulator = ChargeAccumulator(asset: .usdc)
        let inputRate = try Asset.usdc.rate(inputPrice)
        let outputRate = try Asset.usdc.rate(outputPrice)
        var inputTokens: UInt64 = 0
        var outputTokens: UInt64 = 0
        var collected: UInt128 = 0
        for _ in 0..<calls {
            let input = 1 + generator.next() % 4000
            let output = 1 + generator.next() % 4000
            inputTokens += input
            outputTokens += output
            collected += try accumulator.charge(input, at: inputRate).baseUnits
            collected += try accumulator.charge(output, at: outputRate).baseUnits
        }
        let exactTotal = UInt128(inputTokens) * inputScaledUnits + UInt128(outputTokens) * outputScaledUnits
        #expect(accumulator.chargeCount == UInt64(calls * 2))
        #expect(collected == accumulator.charged.baseUnits)
        #expect(accumulator.charged.baseUnits == exactTotal / Self.scaledUnitsPerBaseUnit)
        #expect(accumulator.remainderScaledUnits == exactTotal % Self.scaledUnitsPerBaseUnit)
    }

    @Test func invariantHoldsForRandomSequences() async {
        let charges = zip(Gen.uint128(in: 0...1_000_000_000_000_000), Gen.uint64(in: 0...1_000_000))
            .array(of: 1...40)
        await propertyCheck(input: charges) { sequence in
            var accumulator = ChargeAccumulator(asset: .usdc)
            var exactTotal: UInt128 = 0
            for (scaledUnits, quantity) in sequence {
                let before = accumulator.charged.baseUnits
                let now = try accumulator.charge(quantity, at: Rate(scaledUnits: scaledUnits, asset: .usdc))
                exactTotal += scaledUnits * UInt128(quantity)
                #expect(accumulator.charged.baseUnits == before + now.baseUnits)
                #expect(accumulator.charged.baseUnits * Self.scaledUnitsPerBaseUnit
                    + accumulator.remainderScaledUnits == exactTotal)
                #expect(accumulator.remainderScaledUnits < Self.scaledUnitsPerBaseUnit)
                #expect(accumulator.charged.baseUnits == exactTotal / Self.scaledUnitsPerBaseUnit)
            }
        }
    }

    @Test func overflowIsReportedAndStateUnchanged() throws {
        var accumulator = ChargeAccumulator(asset: .usdc)
        try accumulator.charge(1, at: Rate(scaledUnits: 5, asset: .usdc))
        let snapshot = accumulator
        #expect(throws: MoneyError.overflow) {
            try accumulator.charge(.max, at: Rate(scaledUnits: .max / 2, asset: .usdc))
        }
        #expect(throws: MoneyError.overflow) { try accumulator.charge(1, at: Rate(scaledUnits: .max, asset: .usdc)) }
        #expect(throws: MoneyError.decimalsMismatch(6, 18)) { try accumulator.charge(1, at: Asset.eth.rate("1")) }
        #expect(accumulator == snapshot)
    }

    @Test func codablePreservesCarriedRemainder() throws {
        var accumulator = ChargeAccumulator(asset: .usdc)
        try accumulator.charge(7, at: Asset.usdc.rate("0.00000015"))
        let json = try JSONEncoder().encode(accumulator)
        let restored = try JSONDecoder().decode(ChargeAccumulator.self, from: json)
        #expect(restored == accumulator)
        #expect(restored.remainderScaledUnits == 50_000_000_000)
        #expect(throws: MoneyError.invalidRemainder) {
            try ChargeAccumulator(
                charged: .zero(of: .usdc), remainderScaledUnits: Self.scaledUnitsPerBaseUnit, chargeCount: 0)
        }
    }
}
