public import Foundation
import Synchronization

/// The wall-clock time source of a store and its job engine: message timestamps, job run times,
/// leases and backoff all read it, so tests inject a ``ManualStoreClock`` and never sleep.
public protocol StoreClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system's wall clock.
public struct SystemStoreClock: StoreClock {
    /// Creates the system clock.
    public init() {}
    /// The current system time.
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to: for tests of scheduling, retries, leases and cron.
public final class ManualStoreClock: StoreClock {
    private let current: Mutex<Date>

    /// Creates a clock that reads `start` until advanced.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    /// The time the clock was last set to.
    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.timeInterval) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
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
