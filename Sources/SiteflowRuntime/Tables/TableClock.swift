/// A source of monotonic time for time-based tables (`TTLCache`, `RateLimiter`).
///
/// Implementations must be thread-safe and never go backwards; tests inject a manually advanced clock.
public protocol TableClock: Sendable {
    /// The current time in nanoseconds on a monotonic timeline with an arbitrary (but fixed) origin.
    func now() -> UInt64
}

/// The production `TableClock`, backed by `ContinuousClock` (monotonic, keeps counting while the system sleeps).
///
/// All instances share one origin (the first time any instance is read), so their readings are mutually comparable.
public struct SystemTableClock: TableClock {
    private static let origin = ContinuousClock.now

    /// Creates a system clock; cheap, all instances are equivalent.
    public init() {}

    /// Nanoseconds elapsed since the shared origin; monotonic non-decreasing.
    public func now() -> UInt64 {
        let origin = Self.origin
        return origin.duration(to: ContinuousClock.now).tableNanoseconds
    }
}
