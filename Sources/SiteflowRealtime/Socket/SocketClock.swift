/// The monotonic time a socket reads for its idle timeout and rate limit, in nanoseconds.
/// Injected so tests can advance time instead of sleeping.
public protocol SocketClock: Sendable {
    /// Nanoseconds since an arbitrary fixed point; never decreases.
    func now() -> UInt64
}

/// The real monotonic clock (`ContinuousClock`).
public struct ContinuousSocketClock: SocketClock {
    private let origin = ContinuousClock.now

    /// A clock starting at zero now.
    public init() {}

    /// Nanoseconds since this clock was created.
    public func now() -> UInt64 {
        let elapsed = ContinuousClock.now - origin
        let (seconds, attoseconds) = elapsed.components
        return UInt64(max(seconds, 0)) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
    }
}
