import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("RuntimeClock: the system clock and the manual test clock")
struct RuntimeClockTests {
    @Test("the manual clock moves only when told to, and moves both timelines together")
    func manualClockAdvances() {
        let clock = ManualClock(start: 1_000, wallClockStart: 5_000_000_000)
        #expect(clock.now() == 1_000)
        #expect(clock.wallClockNanoseconds() == 5_000_000_000)
        #expect(clock.advance(by: .milliseconds(3)) == 3_001_000)
        #expect(clock.now() == 3_001_000)
        #expect(clock.wallClockNanoseconds() == 5_003_000_000)
        #expect(clock.wallClockMilliseconds() == 5_003)
    }

    @Test("a negative advance moves nothing; set(to:) moves the calendar time by the same amount")
    func manualClockSetAndNegative() {
        let clock = ManualClock(start: 1_000, wallClockStart: 0)
        clock.advance(by: .seconds(-1))
        #expect(clock.now() == 1_000)
        clock.set(to: 2_000)
        #expect(clock.now() == 2_000)
        #expect(clock.wallClockNanoseconds() == 1_000)
        clock.setWallClock(to: -1)
        #expect(clock.wallClockMilliseconds() == -1)
        #expect(clock.now() == 2_000)
    }

    @Test("the system clock's monotonic time never decreases and its calendar time is after 2020")
    func systemClockReadings() {
        let clock = SystemClock()
        let first = clock.now()
        let second = clock.now()
        #expect(second >= first)
        #expect(clock.wallClockMilliseconds() > 1_577_836_800_000)
    }
}
