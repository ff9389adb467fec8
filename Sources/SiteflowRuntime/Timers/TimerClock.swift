/// A monotonic time source for timers, in nanoseconds since an arbitrary fixed origin.
///
/// Implementations must never go backwards; ``TimerService`` reads it to turn delays into deadlines.
public protocol TimerClock: Sendable {
    /// The current monotonic time in nanoseconds.
    func now() -> UInt64
}
