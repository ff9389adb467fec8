import Synchronization
import Testing
@testable import SiteflowRuntime
import SiteflowRuntimeTesting

private let ms: UInt64 = 1_000_000

/// Counts action invocations from any thread.
private final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

@Suite("TimerService")
struct TimerServiceTests {
    private func manualService(start: UInt64 = 1_000 * ms) -> (TimerService, ManualClock) {
        let clock = ManualClock(start: start)
        return (TimerService(clock: clock, runsOwnThread: false), clock)
    }

    @Test func oneShotFiresAtDeadlineNotBefore() {
        let (service, clock) = manualService()
        let counter = Counter()
        service.schedule(after: .milliseconds(10)) { counter.increment() }
        #expect(service.pendingCount == 1)
        clock.advance(by: .microseconds(9_999))
        #expect(service.fireDue() == 0)
        clock.advance(by: .microseconds(1))
        #expect(service.fireDue() == 1)
        #expect(counter.count == 1)
        #expect(service.pendingCount == 0)
        clock.advance(by: .seconds(1))
        #expect(service.fireDue() == 0)
    }

    @Test func firesInDeadlineOrder() {
        let (service, clock) = manualService()
        let order = Mutex<[Int]>([])
        for (label, delay) in [(3, 30), (1, 10), (2, 20), (4, 5_000)] {
            service.schedule(after: .milliseconds(delay)) { order.withLock { $0.append(label) } }
        }
        clock.advance(by: .seconds(10))
        #expect(service.fireDue() == 4)
        #expect(order.withLock { $0 } == [1, 2, 3, 4])
    }

    @Test func scheduleAtAbsoluteDeadline() {
        let (service, clock) = manualService()
        let counter = Counter()
        service.schedule(at: clock.now() + 2 * ms) { counter.increment() }
        #expect(service.nextDeadline == clock.now() + 2 * ms)
        #expect(service.fireDue(now: clock.now() + 2 * ms - 1) == 0)
        #expect(service.fireDue(now: clock.now() + 2 * ms) == 1)
    }

    @Test func cancelBeforeFire() {
        let (service, clock) = manualService()
        let counter = Counter()
        let handle = service.schedule(after: .milliseconds(5)) { counter.increment() }
        #expect(service.cancel(handle))
        #expect(!service.cancel(handle))
        clock.advance(by: .seconds(1))
        #expect(service.fireDue() == 0)
        #expect(counter.count == 0)
    }

    @Test func staleHandleCancelIsNoOp() {
        let (service, clock) = manualService()
        let counter = Counter()
        let first = service.schedule(after: .milliseconds(1)) {}
        clock.advance(by: .milliseconds(1))
        #expect(service.fireDue() == 1)
        let second = service.schedule(after: .milliseconds(1)) { counter.increment() }
        #expect(first != second)
        #expect(!service.cancel(first))
        clock.advance(by: .milliseconds(1))
        #expect(service.fireDue() == 1)
        #expect(counter.count == 1)
    }

    @Test func farFutureTimerFiresAtTheRightTime() {
        let (service, clock) = manualService()
        let counter = Counter()
        let start = clock.now()
        service.schedule(after: .seconds(3 * 86_400 + 1)) { counter.increment() }
        let deadline = start + (3 * 86_400 + 1) * 1_000 * ms
        // Drive it the way the timer thread would: wake at each nextDeadline.
        var wakes = 0
        while let next = service.nextDeadline, counter.count == 0 {
            #expect(next <= deadline)
            clock.set(to: next)
            service.fireDue()
            wakes += 1
        }
        #expect(counter.count == 1)
        #expect(clock.now() == deadline)
        #expect(wakes < 12)
    }

    @Test func repeatingFiresOncePerIntervalAndSkipsMissedIntervals() {
        let (service, clock) = manualService()
        let counter = Counter()
        let start = clock.now()
        let handle = service.scheduleRepeating(every: .milliseconds(10)) { counter.increment() }
        #expect(service.fireDue(now: start + 9 * ms) == 0)
        #expect(service.fireDue(now: start + 10 * ms) == 1)
        #expect(service.fireDue(now: start + 10 * ms) == 0)
        #expect(service.fireDue(now: start + 19 * ms) == 0)
        #expect(service.fireDue(now: start + 20 * ms) == 1)
        // Fall behind by several intervals: one firing, then back on the 10 ms grid.
        #expect(service.fireDue(now: start + 55 * ms) == 1)
        #expect(service.nextDeadline == start + 60 * ms)
        #expect(service.fireDue(now: start + 59 * ms) == 0)
        #expect(service.fireDue(now: start + 60 * ms) == 1)
        #expect(counter.count == 4)
        #expect(service.pendingCount == 1)
        #expect(service.cancel(handle))
        #expect(service.pendingCount == 0)
        #expect(service.fireDue(now: start + 1_000 * ms) == 0)
        #expect(!service.cancel(handle))
    }

    @Test func repeatingTimerCanCancelItselfFromItsAction() {
        let (service, clock) = manualService()
        let counter = Counter()
        let handle = Mutex<TimerHandle?>(nil)
        let created = service.scheduleRepeating(every: .milliseconds(1)) {
            counter.increment()
            if counter.count == 3, let mine = handle.withLock({ $0 }) {
                _ = service.cancel(mine)
            }
        }
        handle.withLock { $0 = created }
        for _ in 0..<10 {
            clock.advance(by: .milliseconds(1))
            service.fireDue()
        }
        #expect(counter.count == 3)
        #expect(service.pendingCount == 0)
    }

    @Test func actionsMayScheduleMoreTimers() {
        let (service, clock) = manualService()
        let counter = Counter()
        service.schedule(after: .milliseconds(1)) {
            counter.increment()
            service.schedule(after: .milliseconds(1)) { counter.increment() }
        }
        clock.advance(by: .milliseconds(1))
        #expect(service.fireDue() == 1)
        clock.advance(by: .milliseconds(1))
        #expect(service.fireDue() == 1)
        #expect(counter.count == 2)
    }

    @Test func shutdownDiscardsPendingAndIgnoresLaterSchedules() {
        let (service, clock) = manualService()
        let counter = Counter()
        service.schedule(after: .milliseconds(1)) { counter.increment() }
        service.shutdown()
        service.shutdown()
        #expect(service.pendingCount == 0)
        let late = service.schedule(after: .milliseconds(1)) { counter.increment() }
        clock.advance(by: .seconds(1))
        #expect(service.fireDue() == 0)
        #expect(!service.cancel(late))
        #expect(counter.count == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func realThreadFiresAndShutdownJoins() async {
        let service = TimerService()
        #expect(service.isRunning)
        let (events, continuation) = AsyncStream.makeStream(of: Int.self)
        // A far timer first, so the thread is asleep on a long deadline and must be woken early.
        let far = service.schedule(after: .seconds(3_600)) { continuation.yield(-1) }
        service.schedule(after: .milliseconds(1)) { continuation.yield(1) }
        service.scheduleRepeating(every: .milliseconds(1)) { continuation.yield(2) }
        var seenOneShot = false
        var repeats = 0
        for await event in events {
            if event == 1 { seenOneShot = true }
            if event == 2 { repeats += 1 }
            if seenOneShot && repeats >= 3 { break }
        }
        #expect(seenOneShot)
        #expect(service.cancel(far))
        service.shutdown()
        #expect(!service.isRunning)
        continuation.finish()
    }

    @Test(.timeLimit(.minutes(1)))
    func shutdownFromInsideAnActionDoesNotDeadlock() async {
        let service = TimerService()
        let (events, continuation) = AsyncStream.makeStream(of: Void.self)
        service.schedule(after: .zero) {
            service.shutdown()
            continuation.yield()
            continuation.finish()
        }
        for await _ in events {}
        service.shutdown()  // joins (or finds the thread already detached)
        #expect(service.pendingCount == 0)
    }
}
