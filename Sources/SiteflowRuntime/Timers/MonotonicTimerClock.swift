#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system monotonic clock (`clock_gettime(CLOCK_MONOTONIC)`), the default ``TimerClock``.
///
/// Unaffected by wall-clock changes; also the time base of ``TimerService``'s thread sleeps.
public struct MonotonicTimerClock: TimerClock {
    /// Creates the clock; it has no state.
    public init() {}

    /// Nanoseconds since an unspecified boot-time origin.
    public func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
