/// A per-key token-bucket rate limiter built on `SharedTable`.
///
/// Each key has a ``TokenBucket`` of `capacity` tokens (full when first seen) refilled continuously
/// at `refillPerSecond`, exact for a given clock; each acquisition is atomic per key.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    /// The largest capacity accepted (so the fixed-point token count fits in 64 bits).
    public static var maximumCapacity: Int { TokenBucket.maximumCapacity }

    /// Bucket size: the largest burst a key can take at once.
    public let capacity: Int
    /// Tokens added to each bucket per second.
    public let refillPerSecond: Double
    private let table: SharedTable<Key, TokenBucket>
    private let clock: any RuntimeClock

    /// Creates a limiter; requires `1 <= capacity <= maximumCapacity` and a finite `refillPerSecond > 0`.
    public init(
        capacity: Int,
        refillPerSecond: Double,
        clock: any RuntimeClock = SystemClock(),
        shardCount: Int = 16
    ) {
        precondition(capacity >= 1 && capacity <= Self.maximumCapacity, "RateLimiter capacity out of range")
        precondition(refillPerSecond > 0 && refillPerSecond.isFinite, "RateLimiter refill rate must be positive")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.clock = clock
        self.table = SharedTable(shardCount: shardCount)
    }

    /// Atomically takes `tokens` from `key`'s bucket if available, otherwise takes nothing and reports how
    /// long until they will be. Throws `invalidArgument` unless `1 <= tokens <= capacity`.
    public func tryAcquire(_ key: Key, tokens: Int = 1) throws(TableError) -> RateLimitDecision {
        guard tokens >= 1, tokens <= capacity else { throw .invalidArgument }
        let now = clock.now()
        return try table.update(key, default: newBucket()) { bucket in bucket.take(tokens, now: now) }
    }

    /// The whole tokens currently available for `key` (a full bucket if the key is unknown); takes nothing.
    public func availableTokens(_ key: Key) throws(TableError) -> Int {
        let now = clock.now()
        guard let bucket = try table.lookup(key) else { return capacity }
        return bucket.available(now: now)
    }

    /// Forgets `key`'s bucket, so its next acquisition sees a full bucket.
    public func reset(_ key: Key) throws(TableError) {
        try table.remove(key)
    }

    /// Drops the state of keys whose buckets have refilled completely (indistinguishable from unknown keys);
    /// returns how many were dropped. Call periodically to bound memory.
    @discardableResult
    public func purgeIdle() throws(TableError) -> Int {
        let now = clock.now()
        return try table.removeAll { _, bucket in bucket.isFull(now: now) }
    }

    /// The number of keys with tracked bucket state.
    public var trackedKeyCount: Int {
        get throws(TableError) { try table.count }
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { table.isClosed }

    /// Deletes the limiter's state; every later operation throws `TableError.closed`. Idempotent.
    public func close() {
        table.close()
    }

    private func newBucket() -> TokenBucket {
        TokenBucket(capacity: capacity, refillPerSecond: refillPerSecond)
    }
}
