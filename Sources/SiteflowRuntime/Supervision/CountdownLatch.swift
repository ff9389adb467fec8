import Synchronization

/// Counts events down to zero and lets one task at a time wait, with an optional time limit,
/// until it reaches zero. Used to wait for many children's exits at once.
final class CountdownLatch: Sendable {
    private struct State {
        var remaining: Int
        var waiters: [OneShot<Bool>] = []
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(remaining: max(0, count)))
    }

    /// Counts one event; at zero, wakes the waiters.
    func countDown() {
        let woken = state.withLock { state -> [OneShot<Bool>] in
            guard state.remaining > 0 else { return [] }
            state.remaining -= 1
            guard state.remaining == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in woken { waiter.resolve(true) }
    }

    /// Waits until the count is zero (true) or `timeout` has passed on `timers` (false); nil: no limit.
    func wait(within timeout: Duration?, timers: TimerService) async -> Bool {
        let shot = OneShot<Bool>()
        let done = state.withLock { state -> Bool in
            if state.remaining == 0 { return true }
            state.waiters.append(shot)
            return false
        }
        if done { return true }
        guard let timeout else { return await shot.value() }
        let timer = timers.schedule(after: timeout) { shot.resolve(false) }
        let result = await shot.value()
        timers.cancel(timer)
        return result
    }
}
