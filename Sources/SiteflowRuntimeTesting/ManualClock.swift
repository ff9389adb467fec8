public import SiteflowRuntime
import Synchronization

/// A ``RuntimeClock`` that moves only when told to: the one test clock for timers, supervisors,
/// tables, sockets, tokens and the store. Both timelines move together on ``advance(by:)``.
///
/// Thread-safe. Pair it with `TimerService(clock:runsOwnThread: false)` and
/// ``TimerService/fireDue()`` so that no timer test ever sleeps.
public final class ManualClock: RuntimeClock {
    private struct Readings {
        var monotonic: UInt64
        var wallClock: Int64
    }

    private let readings: Mutex<Readings>

    /// Creates a clock whose monotonic time reads `start` nanoseconds and whose calendar time reads
    /// `wallClockStart` nanoseconds since the Unix epoch (default: 2027-01-15 08:00 UTC).
    public init(start: UInt64 = 1_000, wallClockStart: Int64 = 1_800_000_000 * 1_000_000_000) {
        readings = Mutex(Readings(monotonic: start, wallClock: wallClockStart))
    }

    /// The monotonic time last set or advanced to.
    public func now() -> UInt64 {
        readings.withLock { $0.monotonic }
    }

    /// The calendar time last set or advanced to, in nanoseconds since the Unix epoch.
    public func wallClockNanoseconds() -> Int64 {
        readings.withLock { $0.wallClock }
    }

    /// Moves both timelines forward by `duration` (a negative duration moves nothing) and returns
    /// the new monotonic time.
    @discardableResult
    public func advance(by duration: Duration) -> UInt64 {
        let nanoseconds = duration.clampedNanoseconds
        return readings.withLock { readings in
            readings.monotonic &+= nanoseconds
            readings.wallClock &+= Int64(clamping: nanoseconds)
            return readings.monotonic
        }
    }

    /// Sets the monotonic time to `nanoseconds` (the calendar time moves by the same amount);
    /// callers keep it monotonic.
    public func set(to nanoseconds: UInt64) {
        readings.withLock { readings in
            readings.wallClock &+= Int64(truncatingIfNeeded: nanoseconds &- readings.monotonic)
            readings.monotonic = nanoseconds
        }
    }

    /// Sets the calendar time to `nanoseconds` since the Unix epoch; the monotonic time stays.
    public func setWallClock(to nanoseconds: Int64) {
        readings.withLock { $0.wallClock = nanoseconds }
    }
}
