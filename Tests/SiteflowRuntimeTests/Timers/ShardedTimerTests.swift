import SiteflowRuntimeTesting
import Testing
@testable import SiteflowRuntime

/// Schedules a long timer from inside a process (so on a worker's own timer shard) and reports
/// the handle.
private struct TimerScheduler: Behavior {
    let events: EventQueue<TimerHandle>
    mutating func handle(_ message: Int, context: ProcessContext<Int>) throws {
        events.push(context.runtime.timers.schedule(after: .seconds(3_600)) {})
    }
}

@Suite("TimerService shards")
struct ShardedTimerTests {
    @Test("a timer armed on a worker's shard can be cancelled from any other thread")
    func cancelAcrossShards() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<TimerHandle>()
            let process = try runtime.spawn(TimerScheduler(events: events))
            let before = runtime.timers.pendingCount
            process.send(1)
            let handle = try await events.next(within: .seconds(10))
            #expect(handle.shard != 0, "a worker schedules on its own shard, not the shared one")
            #expect(runtime.timers.pendingCount == before + 1)
            #expect(runtime.cancelTimer(handle))
            #expect(!runtime.cancelTimer(handle), "a cancelled timer cannot be cancelled twice")
            #expect(runtime.timers.pendingCount == before)
        }
    }

    @Test("manual driving fires the due timers of every shard")
    func manualFiringCoversAllShards() {
        let clock = ManualClock(start: 1_000)
        let service = TimerService(clock: clock, runsOwnThread: false, shards: 3)
        service.schedule(after: .milliseconds(5)) {}
        #expect(service.pendingCount == 1)
        #expect(service.nextDeadline != nil)
        clock.advance(by: .milliseconds(5))
        #expect(service.fireDue() == 1)
        #expect(service.pendingCount == 0)
        service.shutdown()
    }
}
