import Foundation
import PBCore
import PBPricing
import Testing

/// The breakdown's JSON form, as docs/PRICING.md, "Breakdown format" shows it.
@Suite struct BreakdownEncodingTests {
    @Test func rentalBreakdownAsJSON() throws {
        let schedule = try Fixtures.berlinSchedule(
            name: "evening", from: "18:00", to: "23:00", multiplier: "1.5", days: [.monday])
        let plan = try Fixtures.standardPlan(.hour, rate: "0.5", schedule: schedule)
        let charge = try plan.charge(
            UsageEvent.interval(
                from: Fixtures.utc(2025, 6, 2, 15), to: Fixtures.utc(2025, 6, 2, 18, 30), pricedPer: .hour))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(
            JSONSerialization.jsonObject(with: encoder.encode(charge)) as? [String: Any])
        #expect(json["asset"] as? String == "USDC")
        #expect(json["total"] as? String == "2.375")
        #expect(json["remainderUnits"] as? String == "0")
        let lines = try #require(json["lines"] as? [[String: Any]])
        #expect(lines.count == 2)
        #expect(lines[0]["rate"] as? String == "0.5")
        #expect(lines[0]["multiplier"] as? String == "1")
        #expect(lines[0]["intervalStart"] as? Int64 == Fixtures.utc(2025, 6, 2, 15).milliseconds)
        #expect(lines[1]["peakWindow"] as? String == "evening")
        #expect(lines[1]["multiplier"] as? String == "1.5")
        let firstAmount = try #require(lines[0]["exactAmount"] as? [String: String])
        #expect(firstAmount == ["decimal": "0.5", "units": "1800000000000000000000000000000000000"])
        let secondAmount = try #require(lines[1]["exactAmount"] as? [String: String])
        #expect(secondAmount["decimal"] == "1.875")
    }
}
