import Foundation
import PBCore
import PropertyBased
import Testing

@Suite struct AmountTests {
    @Test(arguments: [
        ("0.01", UInt128(10_000)), ("1", 1_000_000), ("1.5", 1_500_000), ("0.000001", 1), ("100", 100_000_000),
        ("0", 0), ("0.0", 0), ("1.500000", 1_500_000), ("340282366920938463463374607431768.211455", .max),
    ])
    func parsesUSDC(text: String, baseUnits: UInt128) throws {
        let amount = try Amount(parsing: text, asset: .usdc)
        #expect(amount.baseUnits == baseUnits)
        #expect(amount.decimals == 6)
    }

    @Test(arguments: [
        ("", MoneyError.empty),
        ("1.0000001", .tooManyFractionDigits(found: 7, allowed: 6)),
        ("-1", .negative),
        ("-0", .negative),
        ("340282366920938463463374607431768.211456", .overflow),
        ("99999999999999999999999999999999999999999", .overflow),
        ("+1", .leadingPlus),
        ("1e6", .exponent),
        ("1E-6", .exponent),
        ("1.5e+3", .exponent),
        (" 1", .whitespace),
        ("1 ", .whitespace),
        ("1\n", .whitespace),
        ("1 000", .whitespace),
        ("1.2.3", .multipleDots),
        ("..", .multipleDots),
        (".5", .leadingDot),
        ("5.", .trailingDot),
        (".", .leadingDot),
        ("01", .leadingZero),
        ("00.5", .leadingZero),
        ("1,5", .invalidCharacter(",")),
        ("0x10", .invalidCharacter("x")),
        ("abc", .invalidCharacter("a")),
        ("١", .invalidCharacter("١")),
        ("1_000", .invalidCharacter("_")),
    ])
    func rejects(text: String, error: MoneyError) {
        #expect(throws: error) { try Amount(parsing: text, asset: .usdc) }
    }

    @Test func errorsExplainThemselves() {
        #expect(MoneyError.tooManyFractionDigits(found: 7, allowed: 6).description
            == "amount has 7 fractional digits but at most 6 are allowed")
        #expect(MoneyError.leadingDot.description.contains("0.5"))
        #expect(MoneyError.empty != MoneyError.whitespace)
    }

    @Test(arguments: [(UInt128(10_000), "0.01", "0.010000"), (0, "0", "0.000000"), (1, "0.000001", "0.000001"),
        (1_500_000, "1.5", "1.500000"), (100_000_000, "100", "100.000000")])
    func printsUSDC(baseUnits: UInt128, canonical: String, fixed: String) {
        let amount = Amount(baseUnits: baseUnits, asset: .usdc)
        #expect(amount.decimalString == canonical)
        #expect(amount.description == canonical)
        #expect(amount.fixedDecimalString == fixed)
    }

    @Test func zeroDecimalsHaveNoDot() throws {
        let amount = try Amount(parsing: "42", decimals: 0)
        #expect(amount.fixedDecimalString == "42")
        #expect(throws: MoneyError.tooManyFractionDigits(found: 1, allowed: 0)) {
            try Amount(parsing: "4.0", decimals: 0)
        }
    }

    @Test func decimalsOutsideRangeAreRejected() {
        #expect(throws: MoneyError.decimalsOutOfRange(37)) { try Amount(parsing: "1", decimals: 37) }
        #expect(throws: MoneyError.decimalsOutOfRange(-1)) { try Amount(baseUnits: 1, decimals: -1) }
        #expect(throws: MoneyError.decimalsOutOfRange(40)) { try Asset(symbol: "X", decimals: 40) }
        #expect(throws: MoneyError.invalidSymbol("US DC")) { try Asset(symbol: "US DC", decimals: 6) }
        #expect(throws: MoneyError.invalidSymbol("")) { try Asset(symbol: "", decimals: 6) }
    }

    @Test func roundTripsRandomAmountsAndDecimals() async {
        await propertyCheck(input: Gen.uint128(in: 0 ... .max), Gen.int(in: 0...36)) { baseUnits, decimals in
            let amount = try Amount(baseUnits: baseUnits, decimals: decimals)
            #expect(try Amount(parsing: amount.decimalString, decimals: decimals) == amount)
            #expect(try Amount(parsing: amount.fixedDecimalString, decimals: decimals) == amount)
            let canonical = amount.decimalString
            #expect(!canonical.hasSuffix(".") && !(canonical.contains(".") && canonical.hasSuffix("0")))
        }
    }

    @Test func arithmeticIsChecked() throws {
        let one = try Asset.usdc.amount("1")
        let cent = try Asset.usdc.amount("0.01")
        #expect(try one.adding(cent).decimalString == "1.01")
        #expect(try one.subtracting(cent).decimalString == "0.99")
        #expect(try cent.multiplied(by: 250).decimalString == "2.5")
        #expect(throws: MoneyError.underflow) { try cent.subtracting(one) }
        let largest = Amount(baseUnits: .max, asset: .usdc)
        #expect(throws: MoneyError.overflow) { try largest.adding(Amount(baseUnits: 1, asset: .usdc)) }
        #expect(throws: MoneyError.overflow) { try largest.multiplied(by: 2) }
        #expect(throws: MoneyError.decimalsMismatch(6, 18)) { try one.adding(Asset.eth.amount("1")) }
        #expect(try one.subtracting(one).isZero)
        #expect(Amount.zero(of: .eth).isZero)
    }

    @Test func addingThenSubtractingLosesNothing() async {
        await propertyCheck(input: Gen.uint128(in: 0...UInt128(UInt64.max)), Gen.uint128(in: 0...UInt128(UInt64.max))) {
            left, right in
            let first = Amount(baseUnits: left, asset: .usdc)
            let second = Amount(baseUnits: right, asset: .usdc)
            let sum = try first.adding(second)
            #expect(sum == (try second.adding(first)))
            #expect(try sum.subtracting(second) == first)
            #expect(sum >= first && sum >= second)
        }
    }

    @Test func comparesByValue() throws {
        #expect(try Asset.usdc.amount("0.01") < Asset.usdc.amount("0.02"))
        #expect(try Asset.usdc.amount("2") > Asset.usdc.amount("1.999999"))
        // Across decimals the value decides; equal values order by decimals so `<` stays consistent with `==`.
        #expect(try Asset.usdc.amount("1.5") < Asset.eth.amount("1.500000000000000001"))
        #expect(try Asset.eth.amount("1.499999999999999999") < Asset.usdc.amount("1.5"))
        #expect(try Asset.usdc.amount("1.5") < Asset.eth.amount("1.5"))
        #expect(try !(Asset.eth.amount("1.5") < Asset.usdc.amount("1.5")))
    }

    @Test func codableKeepsDigitsAsStrings() throws {
        let amount = Amount(baseUnits: .max, asset: .eth)
        let json = try JSONEncoder().encode(amount)
        #expect(String(decoding: json, as: UTF8.self).contains("\"340282366920938463463374607431768211455\""))
        #expect(try JSONDecoder().decode(Amount.self, from: json) == amount)
        let bad = Data(#"{"baseUnits":"-5","decimals":6}"#.utf8)
        #expect(throws: MoneyError.negative) { try JSONDecoder().decode(Amount.self, from: bad) }
    }
}
