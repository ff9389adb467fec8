/// A per-key token-bucket rate limiter built on `SharedTable`.
///
/// Each key has a bucket of `capacity` tokens (full when first seen) refilled continuously at
/// `refillPerSecond`. Tokens are tracked in fixed point (1e-9 token units), so decisions are exact and
/// deterministic for a given clock; each acquisition is atomic per key.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket: Sendable {
        /// Available tokens, in units of 1e-9 token.
        var units: UInt64
        /// Clock time (ns) up to which refill has been credited.
        var lastRefill: UInt64
    }

    private static var unitsPerToken: UInt64 { 1_000_000_000 }

    /// The largest capacity accepted (so the fixed-point token count fits in 64 bits).
    public static var maximumCapacity: Int { 18_000_000_000 }

    /// Bucket size: the largest burst a key can take at once.
    public let capacity: Int
    /// Tokens added to each bucket per second.
    public let refillPerSecond: Double

    private let capacityUnits: UInt64
    private let table: SharedTable<Key, Bucket>
    private let clock: any TableClock

    /// Creates a limiter; requires `1 <= capacity <= maximumCapacity` and a finite `refillPerSecond > 0`.
    public init(
        capacity: Int,
        refillPerSecond: Double,
        clock: any TableClock = SystemTableClock(),
        shardCount: Int = 16
    ) {
        precondition(capacity >= 1 && capacity <= Self.maximumCapacity, "RateLimiter capacity out of range")
        precondition(refillPerSecond > 0 && refillPerSecond.isFinite, "RateLimiter refill rate must be positive")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.capacityUnits = UInt64(capacity) * Self.unitsPerToken
        self.clock = clock
        self.table = SharedTable(shardCount: shardCount)
    }

    /// Atomically takes `tokens` from `key`'s bucket if available, otherwise takes nothing and reports how
    /// long until they will be. Throws `invalidArgument` unless `1 <= tokens <= capacity`.
    public func tryAcquire(_ key: Key, tokens: Int = 1) throws(TableError) -> RateLimitDecision {
        guard tokens >= 1, tokens <= capacity else { throw .invalidArgument }
        let needed = UInt64(tokens) * Self.unitsPerToken
        let now = clock.now()
        return try table.update(key, default: Bucket(units: capacityUnits, lastRefill: now)) { bucket in
            refill(&bucket, now: now)
            if bucket.units >= needed {
                bucket.units -= needed
                return .allowed(remaining: Int(bucket.units / Self.unitsPerToken))
            }
            return .denied(retryAfterNanoseconds: nanosecondsToRefill(needed - bucket.units))
        }
    }

    /// The whole tokens currently available for `key` (a full bucket if the key is unknown); takes nothing.
    public func availableTokens(_ key: Key) throws(TableError) -> Int {
        let now = clock.now()
        guard var bucket = try table.lookup(key) else { return capacity }
        refill(&bucket, now: now)
        return Int(bucket.units / Self.unitsPerToken)
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
        return try table.removeAll { _, bucket in
            let elapsed = now > bucket.lastRefill ? now - bucket.lastRefill : 0
            return refillUnits(elapsed: elapsed) >= capacityUnits - bucket.units
        }
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

    // MARK: - Fixed-point arithmetic

    /// Units earned over `elapsed` nanoseconds (tokens/s × ns = 1e-9 tokens), rounded down, capped at capacity.
    private func refillUnits(elapsed: UInt64) -> UInt64 {
        let units = (Double(elapsed) * refillPerSecond).rounded(.down)
        return units >= Double(capacityUnits) ? capacityUnits : UInt64(units)
    }

    private func refill(_ bucket: inout Bucket, now: UInt64) {
        // A reading older than the last refill (clock read before a racing acquisition) earns nothing.
        guard now > bucket.lastRefill else { return }
        let earned = refillUnits(elapsed: now - bucket.lastRefill)
        bucket.units += min(earned, capacityUnits - bucket.units)
        bucket.lastRefill = now
    }

    /// The smallest wait (ns) after which `refillUnits(elapsed:)` covers `deficit` units.
    private func nanosecondsToRefill(_ deficit: UInt64) -> UInt64 {
        let estimate = (Double(deficit) / refillPerSecond).rounded(.up)
        var wait = estimate >= Double(UInt64.max) ? UInt64.max : UInt64(estimate)
        // Correct floating-point rounding so the answer agrees exactly with refillUnits(elapsed:).
        while wait < .max, refillUnits(elapsed: wait) < deficit { wait += 1 }
        while wait > 0, refillUnits(elapsed: wait - 1) >= deficit { wait -= 1 }
        return wait
    }
}
