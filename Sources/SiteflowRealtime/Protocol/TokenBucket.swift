/// A token bucket as a value: `capacity` tokens, refilled at `refillPerSecond`, read against an
/// injected monotonic time in nanoseconds. Pure (no clock of its own), so tests drive it.
public struct TokenBucket: Sendable, Hashable {
    /// The most tokens the bucket holds (the allowed burst).
    public let capacity: Double
    /// Tokens added per second.
    public let refillPerSecond: Double
    private var tokens: Double
    private var last: UInt64?

    /// A full bucket.
    public init(capacity: Int, refillPerSecond: Double) {
        self.capacity = Double(max(capacity, 1))
        self.refillPerSecond = max(refillPerSecond, 0)
        self.tokens = self.capacity
    }

    /// Takes one token at time `now` (nanoseconds); `false` when the bucket is empty.
    public mutating func take(now: UInt64) -> Bool {
        if let last, now > last {
            tokens = min(capacity, tokens + Double(now - last) / 1e9 * refillPerSecond)
        }
        if last == nil || now > (last ?? 0) { last = now }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
