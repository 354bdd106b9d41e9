import PBCore
import PBPricing
import Testing

/// One worked example per charge model: the figures of docs/PRICING.md, "Charge models".
@Suite struct ChargeModelTests {
    private let time = Fixtures.utc(2025, 6, 2, 12)

    /// 1-1000 at 0.01 (entering costs a flat 1), 1001-5000 at 0.008, above 5000 at 0.005 (entering costs a flat 2).
    private func tiers() throws -> [PriceTier] {
        [
            PriceTier(upTo: 1_000, rate: try Fixtures.rate("0.01"), flatFee: try Fixtures.amount("1")),
            PriceTier(upTo: 5_000, rate: try Fixtures.rate("0.008")),
            PriceTier(upTo: nil, rate: try Fixtures.rate("0.005"), flatFee: try Fixtures.amount("2")),
        ]
    }

    private func plan(_ model: ChargeModel, freeUnits: UInt64 = 0, minimum: String? = nil) throws -> PricePlan {
        try PricePlan(
            asset: .usdc,
            prices: [
                UnitPrice(
                    unit: .custom("image"), model: model, freeUnits: freeUnits,
                    minimum: minimum.map { try Fixtures.amount($0) })
            ])
    }

    private func charge(_ plan: PricePlan, _ quantity: UInt64, prior: UInt64 = 0) throws -> Charge {
        let charge = try plan.charge(.count(quantity, of: .custom("image"), at: time, priorQuantity: prior))
        #expect(try Fixtures.isConsistent(charge))
        return charge
    }

    /// 6,000 images: 1 + 1000 x 0.01 + 4000 x 0.008 + 2 + 1000 x 0.005 = 1 + 10 + 32 + 2 + 5 = 50 USDC.
    @Test func graduatedPricesEachTierAtItsRate() throws {
        let charge = try self.charge(plan(.graduated(tiers: tiers())), 6_000)
        #expect(charge.lines.map(\.kind) == [.flatFee, .usage, .usage, .flatFee, .usage])
        #expect(charge.lines.map(\.tier) == [0, 0, 1, 2, 2])
        #expect(charge.lines.map(\.exactAmount.decimalString) == ["1", "10", "32", "2", "5"])
        #expect(charge.total == (try Fixtures.amount("50")))
    }

    /// With prior usage the tiers continue: units 901-1100 cost 100 x 0.01 + 100 x 0.008 = 1.8; units 4991-5010
    /// cost 10 x 0.008 + 2 (entering the third tier) + 10 x 0.005 = 2.13.
    @Test func graduatedContinuesFromPriorUsage() throws {
        let graduated = try plan(.graduated(tiers: tiers()))
        #expect(try charge(graduated, 200, prior: 900).total == (try Fixtures.amount("1.8")))
        #expect(try charge(graduated, 20, prior: 4_990).total == (try Fixtures.amount("2.13")))
    }

    /// All units at the rate of the tier the total falls in: 6,000 -> 6000 x 0.005 + 2 = 32; exactly 5,000 is still
    /// the second tier (upTo is inclusive) -> 40; 1,000 -> 1 + 10 = 11.
    @Test func volumePricesAllUnitsAtOneTier() throws {
        let volume = try plan(.volume(tiers: tiers()))
        #expect(try charge(volume, 6_000).total == (try Fixtures.amount("32")))
        #expect(try charge(volume, 5_000).total == (try Fixtures.amount("40")))
        #expect(try charge(volume, 5_000).lines.map(\.tier) == [1])
        #expect(try charge(volume, 1_000).total == (try Fixtures.amount("11")))
        let error = try #require(throws: PricingError.self) { try charge(volume, 10, prior: 10) }
        #expect(error.kind == .invalidUsage)
    }

    /// 0.05 USDC per started 1,000: 2,500 units are 3 packages = 0.15 (the partial package rounds UP).
    @Test func packageRoundsPartialPackagesUp() throws {
        let package = try plan(.package(size: 1_000, price: Fixtures.rate("0.05")))
        let charge = try self.charge(package, 2_500)
        #expect(charge.lines.first?.kind == .package)
        #expect(charge.lines.first?.quantity == 3)
        #expect(charge.total == (try Fixtures.amount("0.15")))
        // Packages are counted along the period: 2,501-2,900 fall in the third package, already paid;
        // 2,901-3,500 start the fourth.
        #expect(try self.charge(package, 400, prior: 2_500).total.isZero)
        #expect(try self.charge(package, 600, prior: 2_900).total == (try Fixtures.amount("0.05")))
    }

    /// 100 free calls at 0.002: 150 calls cost 50 x 0.002 = 0.1; after 80 earlier calls, 50 more have 20 free and
    /// cost 30 x 0.002 = 0.06. With packages, free units come first: 2,100 units less 100 free are 2 packages.
    @Test func freeUnitsComeFirst() throws {
        let standard = try plan(.standard(rate: Fixtures.rate("0.002")), freeUnits: 100)
        let charge = try self.charge(standard, 150)
        #expect(charge.lines.map(\.kind) == [.free, .usage])
        #expect(charge.lines.map(\.meteredQuantity) == [100, 50])
        #expect(charge.total == (try Fixtures.amount("0.1")))
        #expect(try self.charge(standard, 50, prior: 80).total == (try Fixtures.amount("0.06")))
        #expect(try self.charge(standard, 60).total.isZero)
        let package = try plan(.package(size: 1_000, price: Fixtures.rate("0.05")), freeUnits: 100)
        #expect(try self.charge(package, 2_100).total == (try Fixtures.amount("0.1")))
    }

    /// 0.000002 per token with a minimum of 0.001 per charge: 100 tokens (0.0002) are topped up by 0.0008;
    /// 1,000 tokens (0.002) are above it; usage wholly within the free units is not charged the minimum.
    @Test func minimumTopsUpSmallCharges() throws {
        let minimum = try plan(.standard(rate: Fixtures.rate("0.000002")), freeUnits: 10, minimum: "0.001")
        let small = try charge(minimum, 110)
        #expect(small.lines.map(\.kind) == [.free, .usage, .minimum])
        #expect(small.lines.last?.exactAmount.decimalString == "0.0008")
        #expect(small.total == (try Fixtures.amount("0.001")))
        #expect(try charge(minimum, 1_010).total == (try Fixtures.amount("0.002")))
        #expect(try charge(minimum, 10).total.isZero)
    }
}
