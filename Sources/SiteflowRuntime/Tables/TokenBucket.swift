/// A token bucket as a value — `capacity` tokens (full at first), refilled continuously at
/// `refillPerSecond` — read against a monotonic time in nanoseconds that the caller passes in
/// (no clock of its own, so tests drive it). The one bucket of the package: ``RateLimiter``
/// keeps one per key, a socket one for its inbound frames.
///
/// Tokens are counted in fixed point (1e-9 token units), so decisions are exact and
/// deterministic for given times. A time earlier than the last one seen earns nothing.
public struct TokenBucket: Sendable, Hashable {
    private static var unitsPerToken: UInt64 { 1_000_000_000 }
    /// The largest capacity (so the fixed-point count fits in 64 bits).
    public static var maximumCapacity: Int { 18_000_000_000 }

    /// The most tokens the bucket holds: the largest burst.
    public let capacity: Int
    /// Tokens added per second (0: never refilled).
    public let refillPerSecond: Double
    private let capacityUnits: UInt64
    /// Available tokens, in units of 1e-9 token.
    private var units: UInt64
    /// Time (ns) up to which refill has been credited; nil until first used.
    private var lastRefill: UInt64?

    /// A full bucket; `capacity` is clamped to 1…``maximumCapacity``, a negative or non-finite
    /// `refillPerSecond` to 0.
    public init(capacity: Int, refillPerSecond: Double) {
        self.capacity = min(max(capacity, 1), Self.maximumCapacity)
        self.refillPerSecond = refillPerSecond.isFinite ? max(refillPerSecond, 0) : 0
        self.capacityUnits = UInt64(self.capacity) * Self.unitsPerToken
        self.units = capacityUnits
    }

    /// Takes one token at `now`; false (taking nothing) when none is left.
    public mutating func take(now: UInt64) -> Bool {
        take(1, now: now).isAllowed
    }

    /// Takes `tokens` at `now` if that many are available; otherwise takes nothing and says how
    /// long until they will be (`UInt64.max` if never: more than the capacity, or no refill).
    public mutating func take(_ tokens: Int, now: UInt64) -> RateLimitDecision {
        refill(now: now)
        guard tokens >= 1 else { return .allowed(remaining: Int(units / Self.unitsPerToken)) }
        guard tokens <= capacity else { return .denied(retryAfterNanoseconds: .max) }
        let needed = UInt64(tokens) * Self.unitsPerToken
        guard units >= needed else { return .denied(retryAfterNanoseconds: nanosecondsToRefill(needed - units)) }
        units -= needed
        return .allowed(remaining: Int(units / Self.unitsPerToken))
    }

    /// The whole tokens available at `now`; takes nothing.
    public func available(now: UInt64) -> Int {
        var copy = self
        copy.refill(now: now)
        return Int(copy.units / Self.unitsPerToken)
    }

    /// Whether the bucket is full at `now` (then it is indistinguishable from a new one).
    public func isFull(now: UInt64) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.units == capacityUnits
    }

    /// Units earned over `elapsed` nanoseconds (tokens/s × ns = 1e-9 tokens), rounded down,
    /// capped at capacity.
    private func refillUnits(elapsed: UInt64) -> UInt64 {
        let earned = (Double(elapsed) * refillPerSecond).rounded(.down)
        return earned >= Double(capacityUnits) ? capacityUnits : UInt64(earned)
    }

    private mutating func refill(now: UInt64) {
        guard let last = lastRefill else {
            lastRefill = now
            return
        }
        guard now > last else { return }
        units += min(refillUnits(elapsed: now - last), capacityUnits - units)
        lastRefill = now
    }

    /// The smallest wait (ns) after which `refillUnits(elapsed:)` covers `deficit` units.
    private func nanosecondsToRefill(_ deficit: UInt64) -> UInt64 {
        guard refillPerSecond > 0 else { return .max }
        let estimate = (Double(deficit) / refillPerSecond).rounded(.up)
        var wait = estimate >= Double(UInt64.max) ? UInt64.max : UInt64(estimate)
        // Correct floating-point rounding so the answer agrees exactly with refillUnits(elapsed:).
        while wait < .max, refillUnits(elapsed: wait) < deficit { wait += 1 }
        while wait > 0, refillUnits(elapsed: wait - 1) >= deficit { wait -= 1 }
        return wait
    }
}
