import Foundation
import PBCore
import PropertyBased
import Testing

@Suite struct IdentifierTests {
    @Test func hasULIDLayout() throws {
        var generator = SeededGenerator(seed: 1)
        let identifier = try Identifier.make(prefix: "rcpt", at: UnixTime(milliseconds: 0), using: &generator)
        #expect(identifier.description.hasPrefix("rcpt_0000000000"))
        #expect(identifier.body.count == 26)
        #expect(identifier.time == UnixTime(milliseconds: 0))
        let latest = try Identifier.make(prefix: "pay", at: Identifier.latestTime, using: &generator)
        #expect(latest.body.hasPrefix("7ZZZZZZZZZ"))
    }

    @Test func roundTripsAndSortsByTime() async {
        let times = Gen.int64(in: 0...(1 << 48) - 1).array(of: 2...20)
        await propertyCheck(input: times) { milliseconds in
            var generator = SystemRandomNumberGenerator()
            let identifiers = try milliseconds.map { value throws(IdentifierError) in
                try Identifier.make(prefix: "grant", at: UnixTime(milliseconds: value), using: &generator)
            }
            for identifier in identifiers {
                let parsed = try Identifier(parsing: identifier.description, expectedPrefix: "grant")
                #expect(parsed == identifier)
                #expect(parsed.time == identifier.time)
            }
            // Sorting the strings must sort by time (ties in the same millisecond may go either way).
            let sortedTimes = identifiers.map(\.description).sorted().map { try! Identifier(parsing: $0).time }
            #expect(sortedTimes == sortedTimes.sorted())
            #expect(sortedTimes == identifiers.map(\.time).sorted())
        }
    }

    @Test func clockStampsTheTime() throws {
        let clock = ManualWallClock(UnixTime(milliseconds: 1_735_689_600_123))
        let first = try Identifier.make(prefix: "pay", clock: clock)
        clock.advance(byMilliseconds: 1)
        let second = try Identifier.make(prefix: "pay", clock: clock)
        #expect(first.time.milliseconds == 1_735_689_600_123)
        #expect(first < second)
        #expect(first != second)
    }

    @Test(arguments: [
        ("rcpt", IdentifierError.missingSeparator),
        ("_01JD8X3ZK5Q2W7V9N4M6T8R0AB", .invalidPrefix("")),
        ("Rcpt_01JD8X3ZK5Q2W7V9N4M6T8R0AB", .invalidPrefix("Rcpt")),
        ("1rcpt_01JD8X3ZK5Q2W7V9N4M6T8R0AB", .invalidPrefix("1rcpt")),
        ("rcpt_01JD8X3ZK5Q2W7V9N4M6T8R0A", .wrongLength(25)),
        ("rcpt_01jd8x3zk5q2w7v9n4m6t8r0ab", .invalidCharacter("j")),
        ("rcpt_01JD8X3ZK5Q2W7V9N4M6T8R0AI", .invalidCharacter("I")),
        ("rcpt_81JD8X3ZK5Q2W7V9N4M6T8R0AB", .bodyTooLarge),
        ("pay_01JD8X3ZK5Q2W7V9N4M6T8R0AB", .wrongPrefix(expected: "rcpt", found: "pay")),
    ])
    func rejects(text: String, error: IdentifierError) {
        #expect(throws: error) { try Identifier(parsing: text, expectedPrefix: "rcpt") }
    }

    @Test func rejectsBadInputsToMake() {
        var generator = SeededGenerator(seed: 2)
        #expect(throws: IdentifierError.timeOutOfRange(UnixTime(milliseconds: -1))) {
            try Identifier.make(prefix: "pay", at: UnixTime(milliseconds: -1), using: &generator)
        }
        #expect(throws: IdentifierError.invalidPrefix("pay_x")) {
            try Identifier.make(prefix: "pay_x", at: UnixTime(milliseconds: 0), using: &generator)
        }
    }

    @Test func codableAsOneString() throws {
        let identifier = try Identifier(parsing: "rcpt_01JD8X3ZK5Q2W7V9N4M6T8R0AB")
        let json = try JSONEncoder().encode([identifier])
        #expect(String(decoding: json, as: UTF8.self) == #"["rcpt_01JD8X3ZK5Q2W7V9N4M6T8R0AB"]"#)
        #expect(try JSONDecoder().decode([Identifier].self, from: json) == [identifier])
    }
}
