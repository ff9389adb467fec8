public import Foundation
public import SiteflowRuntime

extension RuntimeClock {
    /// The clock's calendar time as a `Date`: what the store stamps messages with and what its job
    /// engine schedules, leases and backs off by (tests inject `ManualClock` and never sleep).
    public func date() -> Date {
        let nanoseconds = wallClockNanoseconds()
        let seconds = nanoseconds / 1_000_000_000
        let remainder = nanoseconds % 1_000_000_000
        return Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(remainder) / 1e9)
    }
}

extension Duration {
    /// This duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}

extension Date {
    /// Microseconds since 1970: how the store keeps times (exact and equal on both databases).
    var storeMicros: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The date `micros` microseconds after 1970.
    init(storeMicros micros: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(micros) / 1_000_000)
    }
}
