import Testing
@testable import SiteflowRuntime

private let ms: UInt64 = 1_000_000

@Suite("TimingWheel")
struct TimingWheelTests {
    /// Advances `wheel` and returns the payloads fired, in order.
    private func advance(_ wheel: inout TimingWheel<Int>, to now: UInt64) -> [Int] {
        var fired: [Int] = []
        wheel.advance(to: now) { _, payload in fired.append(payload) }
        return fired
    }

    @Test func firesAtDeadlineNotBefore() {
        var wheel = TimingWheel<Int>()
        _ = wheel.schedule(1, at: 5 * ms)
        _ = wheel.schedule(2, at: 5 * ms + 500_000)  // mid-tick deadline
        #expect(advance(&wheel, to: 5 * ms - 1).isEmpty)
        #expect(advance(&wheel, to: 5 * ms) == [1])
        #expect(advance(&wheel, to: 5 * ms + 499_999).isEmpty)
        #expect(advance(&wheel, to: 5 * ms + 500_000) == [2])
        #expect(wheel.isEmpty)
    }

    @Test func firesInDeadlineOrder() {
        var wheel = TimingWheel<Int>()
        let deadlines: [UInt64] = [70, 3, 900, 64, 65, 1, 4096, 63, 2, 100_000, 4095]
        for (index, deadline) in deadlines.enumerated() {
            _ = wheel.schedule(index, at: deadline * ms + UInt64(index))
        }
        let fired = advance(&wheel, to: 200_000 * ms)
        let expected = deadlines.enumerated().sorted { $0.element < $1.element }.map(\.offset)
        #expect(fired == expected)
    }

    @Test func ordersWithinOneTickByExactDeadline() {
        var wheel = TimingWheel<Int>()
        for offset in [900_000, 100, 500_000, 0, 42] {
            _ = wheel.schedule(offset, at: 10 * ms + UInt64(offset))
        }
        #expect(advance(&wheel, to: 11 * ms) == [0, 42, 100, 500_000, 900_000])
    }

    @Test func cancelBeforeFirePreventsFiringAndReturnsPayload() {
        var wheel = TimingWheel<Int>()
        let keep = wheel.schedule(1, at: 10 * ms)
        let drop = wheel.schedule(2, at: 10 * ms)
        #expect(wheel.cancel(drop) == 2)
        #expect(wheel.cancel(drop) == nil)
        #expect(wheel.count == 1)
        #expect(advance(&wheel, to: 20 * ms) == [1])
        #expect(wheel.cancel(keep) == nil)  // already fired
    }

    @Test func staleIdCannotCancelReusedSlot() {
        var wheel = TimingWheel<Int>()
        let old = wheel.schedule(1, at: 10 * ms)
        #expect(wheel.cancel(old) == 1)
        let reused = wheel.schedule(2, at: 10 * ms)
        #expect(reused.index == old.index)
        #expect(reused.generation != old.generation)
        #expect(wheel.cancel(old) == nil)
        #expect(wheel.isPending(reused))
        #expect(advance(&wheel, to: 10 * ms) == [2])
    }

    @Test func farFutureTimersCascadeAndFireOnTime() {
        let start: UInt64 = 123_456_789_000
        var wheel = TimingWheel<Int>(startTime: start)
        let hour: UInt64 = 3_600_000 * ms
        let deadlines: [UInt64] = [start + 2 * hour + 7, start + 3 * 24 * hour + 1, start + 400 * 24 * hour]
        for (index, deadline) in deadlines.enumerated() {
            _ = wheel.schedule(index, at: deadline)
        }
        var now = start
        var fired: [(Int, UInt64)] = []
        // Walk forward in uneven steps; every timer must fire on the first step reaching it.
        var rng = SplitMix64(seed: 7)
        while now < deadlines[2] + hour {
            now += UInt64.random(in: 1...(37 * hour), using: &rng)
            wheel.advance(to: now) { _, payload in fired.append((payload, now)) }
            for (index, deadline) in deadlines.enumerated() where deadline > now {
                #expect(!fired.contains { $0.0 == index })
            }
        }
        #expect(fired.map(\.0) == [0, 1, 2])
        // And with exact advances around each deadline.
        var exact = TimingWheel<Int>(startTime: start)
        for (index, deadline) in deadlines.enumerated() {
            _ = exact.schedule(index, at: deadline)
        }
        for (index, deadline) in deadlines.enumerated() {
            #expect(advance(&exact, to: deadline - 1).isEmpty)
            #expect(advance(&exact, to: deadline) == [index])
        }
    }

    @Test func pastDeadlineFiresOnNextAdvance() {
        var wheel = TimingWheel<Int>(startTime: 100 * ms)
        _ = wheel.schedule(1, at: 5 * ms)
        #expect(wheel.nextDeadline == 5 * ms)
        #expect(advance(&wheel, to: 100 * ms) == [1])
    }

    @Test func nextDeadline() {
        var wheel = TimingWheel<Int>()
        #expect(wheel.nextDeadline == nil)
        let late = wheel.schedule(1, at: 50 * ms + 3)
        #expect(wheel.nextDeadline == 50 * ms + 3)  // within one level-0 revolution: exact
        let early = wheel.schedule(2, at: 7 * ms + 1)
        #expect(wheel.nextDeadline == 7 * ms + 1)
        #expect(wheel.cancel(early) == 2)
        #expect(wheel.nextDeadline == 50 * ms + 3)
        #expect(wheel.cancel(late) == 1)
        #expect(wheel.nextDeadline == nil)

        // Far timers: a lower bound that tightens as the wheel advances, never past the deadline.
        let far: UInt64 = 10_000_000 * ms + 17
        _ = wheel.schedule(3, at: far)
        var now: UInt64 = 0
        var steps = 0
        while let next = wheel.nextDeadline {
            #expect(next <= far)
            #expect(next > now || next == far)
            now = max(now, next)
            wheel.advance(to: now) { _, _ in }
            steps += 1
        }
        #expect(now == far)
        #expect(steps <= 10)  // one wake per cascade level, then the exact deadline
    }

    @Test func rearmingKeepsIdAndPayload() {
        var wheel = TimingWheel<Int>()
        let id = wheel.schedule(9, at: 10 * ms)
        var seen: [TimerID] = []
        wheel.advance(to: 10 * ms) { fired, payload, deadline in
            seen.append(fired)
            #expect(payload == 9)
            return deadline + 10 * ms
        }
        #expect(seen == [id])
        #expect(wheel.isPending(id))
        #expect(wheel.deadline(of: id) == 20 * ms)
        #expect(wheel.cancel(id) == 9)
    }

    @Test func rearmAtOrBeforeNowWaitsForNextAdvance() {
        var wheel = TimingWheel<Int>()
        _ = wheel.schedule(1, at: 1 * ms)
        var fires = 0
        wheel.advance(to: 100 * ms) { _, _, _ in
            fires += 1
            return 2 * ms
        }
        #expect(fires == 1)
        #expect(wheel.count == 1)
        wheel.advance(to: 100 * ms) { _, _, _ in
            fires += 1
            return nil
        }
        #expect(fires == 2)
        #expect(wheel.isEmpty)
    }

    @Test func smallWheelsAndCoarseTicks() {
        for slots in [2, 4, 8, 64] {
            var wheel = TimingWheel<Int>(tickNanoseconds: 1_000, slotsPerLevel: slots)
            let deadlines: [UInt64] = [1, 999, 1_000, 1_001, 65_000, 1 << 40, (1 << 50) + 3]
            for (index, deadline) in deadlines.enumerated() {
                _ = wheel.schedule(index, at: deadline)
            }
            for (index, deadline) in deadlines.enumerated() {
                #expect(advance(&wheel, to: deadline - 1).isEmpty, "slots \(slots)")
                #expect(advance(&wheel, to: deadline) == [index], "slots \(slots)")
            }
        }
    }

    @Test func millionTimersHalfCancelledRestFireExactlyOnce() {
        let total = 1_000_000
        var wheel = TimingWheel<Int>(capacity: total)
        var rng = SplitMix64(seed: 42)
        var ids: [TimerID] = []
        ids.reserveCapacity(total)
        for index in 0..<total {
            let deadline = UInt64.random(in: 0...(3_600_000 * ms), using: &rng)  // within an hour
            ids.append(wheel.schedule(index, at: deadline))
        }
        #expect(wheel.count == total)
        for index in stride(from: 0, to: total, by: 2) {
            #expect(wheel.cancel(ids[index]) == index)
        }
        #expect(wheel.count == total / 2)

        var fireCounts = [UInt8](repeating: 0, count: total)
        var now: UInt64 = 0
        while now <= 3_600_000 * ms {
            now += 7_919 * ms
            wheel.advance(to: now) { _, payload in fireCounts[payload] &+= 1 }
        }
        wheel.advance(to: .max / 2) { _, payload in fireCounts[payload] &+= 1 }
        #expect(wheel.isEmpty)
        var wrong = 0
        for index in 0..<total where fireCounts[index] != (index % 2 == 0 ? 0 : 1) {
            wrong += 1
        }
        #expect(wrong == 0)
    }

    @Test func largeBatchFiresInDeadlineOrder() {
        var wheel = TimingWheel<Int>()
        var rng = SplitMix64(seed: 3)
        for index in 0..<50_000 {
            _ = wheel.schedule(index, at: UInt64.random(in: 0...(86_400_000 * ms), using: &rng))
        }
        var last: UInt64 = 0
        var ordered = true
        var fired = 0
        wheel.advance(to: 86_400_000 * ms) { _, _, deadline in
            if deadline < last { ordered = false }
            last = deadline
            fired += 1
            return nil
        }
        #expect(ordered)
        #expect(fired == 50_000)
    }
}
