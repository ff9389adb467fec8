/// How long a failed job waits before its next attempt: exponential in the attempt number,
/// capped, with random jitter so failed jobs do not retry in lockstep.
///
/// `delay(attempt) = min(maximum, base × 2^(attempt−1)) × (1 + jitter × (2r − 1))` with `r` in
/// `[0, 1)` drawn from the engine's random source.
public struct RetryBackoff: Sendable, Hashable {
    /// The wait after the first failed attempt (default 1 s).
    public var base: Duration
    /// The longest wait before jitter (default 1 h).
    public var maximum: Duration
    /// The jitter fraction, 0…1 (default 0.1: ±10 %).
    public var jitter: Double

    /// Creates a backoff; see each property.
    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(3600), jitter: Double = 0.1) {
        self.base = base
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The wait after failed attempt number `attempt` (1-based), given a random `r` in `[0, 1)`.
    public func delay(afterAttempt attempt: Int, random r: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 62)
        let baseSeconds = base.timeInterval
        let capped = min(maximum.timeInterval, baseSeconds * Double(UInt64(1) << UInt64(exponent)))
        let jittered = capped * (1 + jitter * (2 * min(max(r, 0), 1) - 1))
        return .nanoseconds(Int64((jittered * 1e9).rounded()))
    }
}
