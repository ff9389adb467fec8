import Testing
@testable import SiteflowRuntime

/// Random schedule/cancel/advance sequences checked against a brute-force reference model.
@Suite("TimingWheel model check")
struct TimingWheelModelTests {
    @Test(arguments: [(UInt64(1_000), 2), (1_000, 4), (1_000_000, 8), (1_000_000, 64), (7, 16)])
    func matchesReferenceModel(tick: UInt64, slots: Int) {
        var rng = SplitMix64(seed: tick &* 31 &+ UInt64(slots))
        let start = UInt64.random(in: 0...(1 << 40), using: &rng)
        var wheel = TimingWheel<Int>(tickNanoseconds: tick, slotsPerLevel: slots, startTime: start)
        var model: [Int: (id: TimerID, deadline: UInt64)] = [:]
        var now = start
        var nextPayload = 0
        for _ in 0..<4_000 {
            switch UInt64.random(in: 0..<10, using: &rng) {
            case 0...4:
                // Mostly near deadlines, sometimes far ones, sometimes in the past.
                let spread: UInt64 = [tick * 3, tick * 100, tick * 70_000, 1 << 44][Int.random(in: 0..<4, using: &rng)]
                let deadline = UInt64.random(in: now.saturatingSubtract(tick * 2)...(now + spread), using: &rng)
                let id = wheel.schedule(nextPayload, at: deadline)
                model[nextPayload] = (id, deadline)
                nextPayload += 1
            case 5:
                if let victim = model.keys.randomElement(using: &rng), let entry = model[victim] {
                    #expect(wheel.cancel(entry.id) == victim)
                    model[victim] = nil
                    #expect(wheel.cancel(entry.id) == nil)
                }
            default:
                let step: UInt64 = [tick / 2, tick * 5, tick * 500, 1 << 36][Int.random(in: 0..<4, using: &rng)]
                now += UInt64.random(in: 0...step, using: &rng)
                if let bound = wheel.nextDeadline, let earliest = model.values.map(\.deadline).min() {
                    #expect(bound <= earliest)
                }
                var fired: [(Int, UInt64)] = []
                wheel.advance(to: now) { id, payload, deadline in
                    #expect(model[payload]?.id == id)
                    fired.append((payload, deadline))
                    return nil
                }
                let expected = model.filter { $0.value.deadline <= now }
                #expect(Set(fired.map(\.0)) == Set(expected.keys))
                #expect(fired.count == expected.count)
                #expect(fired.map(\.1) == fired.map(\.1).sorted())
                for (payload, _) in fired {
                    model[payload] = nil
                }
            }
            #expect(wheel.count == model.count)
        }
    }
}

private extension UInt64 {
    func saturatingSubtract(_ other: UInt64) -> UInt64 {
        self > other ? self - other : 0
    }
}
