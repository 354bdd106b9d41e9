import PBCore
import Testing

@Suite struct WallClockTests {
    @Test func manualClockMovesOnlyWhenTold() {
        let clock = ManualWallClock(UnixTime(seconds: 1_000))
        #expect(clock.now == UnixTime(milliseconds: 1_000_000))
        clock.advance(bySeconds: 30)
        clock.advance(byMilliseconds: 5)
        #expect(clock.now.milliseconds == 1_030_005)
        #expect(clock.now.seconds == 1_030)
        clock.set(UnixTime(milliseconds: 42))
        #expect(clock.now.milliseconds == 42)
    }

    @Test func manualClockIsSafeToShare() async {
        let clock = ManualWallClock(UnixTime(seconds: 0))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<1_000 { clock.advance(byMilliseconds: 1) } }
            }
        }
        #expect(clock.now.milliseconds == 8_000)
    }

    @Test func secondsRoundTowardNegativeInfinity() {
        #expect(UnixTime(milliseconds: 1_999).seconds == 1)
        #expect(UnixTime(milliseconds: -1).seconds == -1)
        #expect(UnixTime(milliseconds: -1_000).seconds == -1)
        #expect(UnixTime(milliseconds: -1_001).seconds == -2)
    }

    @Test func systemClockIsAfter2024() {
        #expect(SystemWallClock().now > UnixTime(seconds: 1_704_067_200))
    }
}
