#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The production ``RuntimeClock``: the system's monotonic clock (`CLOCK_MONOTONIC`, also the
/// time base of the timer threads' sleeps) and its real-time clock (`CLOCK_REALTIME`).
///
/// Stateless: every instance reads the same timelines, so readings of different instances compare.
public struct SystemClock: RuntimeClock {
    /// Creates the clock; it has no state.
    public init() {}

    /// Nanoseconds since an unspecified boot-time origin; unaffected by changes to the system time.
    public func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Nanoseconds since the Unix epoch, as the system's real-time clock reads them.
    public func wallClockNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}
