import Foundation
import PBCore
import PropertyBased
import Testing

@Suite struct RateTests {
    @Test func parsesSubUnitTokenPrice() throws {
        let rate = try Asset.usdc.rate("0.00000015")
        // 0.15 base units = 0.15 * 10^12 scaled units.
        #expect(rate.scaledUnits == 150_000_000_000)
        #expect(rate.decimalString == "0.00000015")
        #expect(Rate.scaleDigits == 12)
    }

    @Test(arguments: [
        ("0.000000000000000001", UInt128(1)), ("1", 1_000_000_000_000_000_000), ("0.000002", 2_000_000_000_000),
        ("0", 0),
    ])
    func parsesUSDCRates(text: String, scaledUnits: UInt128) throws {
        #expect(try Asset.usdc.rate(text).scaledUnits == scaledUnits)
    }

    @Test(arguments: [
        ("0.0000000000000000001", MoneyError.tooManyFractionDigits(found: 19, allowed: 18)),
        ("1.5e-7", .exponent), ("-0.1", .negative), (".15", .leadingDot), ("", .empty),
    ])
    func rejects(text: String, error: MoneyError) {
        #expect(throws: error) { try Asset.usdc.rate(text) }
    }

    @Test func largeDecimalsOnlyHoldSmallRates() throws {
        // 36 + 12 = 48 digits of scale: "1" would need 10^48 scaled units, beyond UInt128.
        #expect(throws: MoneyError.overflow) { try Rate(parsing: "1", decimals: 36) }
        #expect(try Rate(parsing: "0.000000000000000000000000000000000000000000000001", decimals: 36).scaledUnits == 1)
    }

    @Test func flatPricePerUnit() throws {
        let rate = try Rate(perUnit: Asset.usdc.amount("0.01"))
        #expect(rate.decimalString == "0.01")
        #expect(throws: MoneyError.overflow) { try Rate(perUnit: Amount(baseUnits: .max, asset: .usdc)) }
    }

    @Test func roundTripsRandomRates() async {
        await propertyCheck(input: Gen.uint128(in: 0 ... .max), Gen.int(in: 0...36)) { scaledUnits, decimals in
            let rate = try Rate(scaledUnits: scaledUnits, decimals: decimals)
            #expect(try Rate(parsing: rate.decimalString, decimals: decimals) == rate)
        }
    }

    @Test func codableRoundTrip() throws {
        let rate = try Asset.usdc.rate("0.00000015")
        let json = try JSONEncoder().encode(rate)
        #expect(try JSONDecoder().decode(Rate.self, from: json) == rate)
    }
}
