/// The one time source of a Siteflow node: timers, supervisors' restart windows, time-based
/// tables, sockets' idle timeouts and rate limits, the store's timestamps and its jobs all read it.
///
/// It has two timelines. ``now()`` is monotonic (it never goes backwards and ignores changes to
/// the system time); use it for delays, timeouts and windows. ``wallClockNanoseconds()`` is
/// calendar time; use it only for what must be shown or stored as a date (message timestamps,
/// job run times, token stamps). Production code uses ``SystemClock``; tests inject
/// `SiteflowRuntimeTesting.ManualClock` and advance it instead of sleeping.
///
/// Implementations must be thread-safe.
public protocol RuntimeClock: Sendable {
    /// Monotonic time in nanoseconds since an arbitrary, fixed origin; never decreases.
    func now() -> UInt64

    /// Calendar time in nanoseconds since the Unix epoch (1970-01-01 00:00 UTC).
    func wallClockNanoseconds() -> Int64
}

extension RuntimeClock {
    /// Calendar time in whole milliseconds since the Unix epoch (rounded down).
    public func wallClockMilliseconds() -> Int64 {
        let nanoseconds = wallClockNanoseconds()
        return nanoseconds >= 0 ? nanoseconds / 1_000_000 : (nanoseconds - 999_999) / 1_000_000
    }
}
