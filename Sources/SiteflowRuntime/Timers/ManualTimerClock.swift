import Synchronization

/// A ``TimerClock`` that only moves when told to, for deterministic tests.
///
/// Thread-safe; pair it with `TimerService(runsOwnThread: false)` and ``TimerService/fireDue()``.
public final class ManualTimerClock: TimerClock {
    private let current: Atomic<UInt64>

    /// Creates a clock reading `start` nanoseconds.
    public init(start: UInt64 = 0) {
        current = Atomic(start)
    }

    /// The time last set or advanced to.
    public func now() -> UInt64 {
        current.load(ordering: .acquiring)
    }

    /// Moves the clock forward by `duration` (negative durations are ignored) and returns the new time.
    @discardableResult
    public func advance(by duration: Duration) -> UInt64 {
        let delta = duration.timerNanoseconds
        let (_, new) = current.wrappingAdd(delta, ordering: .acquiringAndReleasing)
        return new
    }

    /// Sets the clock to `nanoseconds`; callers keep it monotonic.
    public func set(to nanoseconds: UInt64) {
        current.store(nanoseconds, ordering: .releasing)
    }
}
