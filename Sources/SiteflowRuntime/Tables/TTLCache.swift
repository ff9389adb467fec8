import Synchronization

/// A concurrent cache whose entries expire after a per-entry time-to-live, built on `SharedTable`.
///
/// Time comes from an injected ``RuntimeClock``. An entry put at time `t` with TTL `d` is live while
/// `now < t + d`; expired entries are invisible to `get` and removed lazily (by `get`) or by `purgeExpired()`.
/// When a put adds a key beyond `maxEntries`, expired entries are purged first, then the live entries
/// *closest to expiry* are evicted (ties: the least recently put first). Eviction scans the table (O(n)).
public final class TTLCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var value: Value
        var expiresAt: UInt64
        /// Put order, used to break eviction ties and to make removal conditional on the entry being unchanged.
        var sequence: UInt64
    }

    private let table: SharedTable<Key, Entry>
    private let clock: any RuntimeClock
    private let nextSequence = Atomic<UInt64>(0)
    /// Serialises eviction passes so concurrent puts do not over-evict.
    private let evictionLock = Mutex<Void>(())

    /// The maximum number of entries; exceeded only transiently while concurrent puts are evicting.
    public let maxEntries: Int

    /// Creates an empty cache holding at most `maxEntries` (clamped to at least 1) entries.
    public init(maxEntries: Int = .max, clock: any RuntimeClock = SystemClock(), shardCount: Int = 16) {
        self.maxEntries = max(1, maxEntries)
        self.clock = clock
        self.table = SharedTable(shardCount: shardCount)
    }

    /// Stores `value` for `key`, live for `ttl` from now (a non-positive TTL stores an already-expired entry),
    /// replacing any previous entry; may evict other entries to respect `maxEntries`.
    public func put(_ value: Value, for key: Key, ttl: Duration) throws(TableError) {
        let now = clock.now()
        let (expiresAt, overflow) = now.addingReportingOverflow(ttl.clampedNanoseconds)
        let entry = Entry(
            value: value,
            expiresAt: overflow ? .max : expiresAt,
            sequence: nextSequence.wrappingAdd(1, ordering: .relaxed).newValue
        )
        let added = try table.mutate(key) { slot -> Bool in
            let added = slot == nil
            slot = entry
            return added
        }
        if added, try table.count > maxEntries {
            try evictOverflow()
        }
    }

    /// Returns the live value for `key`; an expired entry yields `nil` and is removed. Does not extend the TTL.
    public func get(_ key: Key) throws(TableError) -> Value? {
        let now = clock.now()
        return try table.mutate(key) { slot -> Value? in
            guard let entry = slot else { return nil }
            if entry.expiresAt <= now {
                slot = nil
                return nil
            }
            return entry.value
        }
    }

    /// Nanoseconds until the entry for `key` expires, or `nil` if there is no live entry.
    public func remainingTTL(_ key: Key) throws(TableError) -> UInt64? {
        let now = clock.now()
        guard let entry = try table.lookup(key), entry.expiresAt > now else { return nil }
        return entry.expiresAt - now
    }

    /// Removes the entry for `key`; returns its value if it was still live.
    @discardableResult
    public func remove(_ key: Key) throws(TableError) -> Value? {
        let now = clock.now()
        guard let entry = try table.remove(key), entry.expiresAt > now else { return nil }
        return entry.value
    }

    /// Removes every expired entry; returns how many were removed.
    @discardableResult
    public func purgeExpired() throws(TableError) -> Int {
        let now = clock.now()
        return try table.removeAll { _, entry in entry.expiresAt <= now }
    }

    /// The number of stored entries, *including* expired ones not yet removed (call `purgeExpired()` first
    /// for a live count).
    public var count: Int {
        get throws(TableError) { try table.count }
    }

    /// Removes every entry.
    public func removeAll() throws(TableError) {
        try table.removeAll()
    }

    /// An approximate size in bytes of the cache's storage (see `SharedTable.memoryEstimate`).
    public var memoryEstimate: Int { table.memoryEstimate }

    /// Whether `close()` has been called.
    public var isClosed: Bool { table.isClosed }

    /// Deletes the cache: drops all entries; every later operation throws `TableError.closed`. Idempotent.
    public func close() {
        table.close()
    }

    // MARK: - Eviction

    private func evictOverflow() throws(TableError) {
        try evictionLock.withLock { _ throws(TableError) in
            guard try table.count > maxEntries else { return }
            try purgeExpired()
            while case let excess = try table.count - maxEntries, excess > 0 {
                let victims = try table.snapshot()
                    .sorted { lhs, rhs in
                        (lhs.value.expiresAt, lhs.value.sequence) < (rhs.value.expiresAt, rhs.value.sequence)
                    }
                    .prefix(excess)
                for victim in victims {
                    // Only remove the exact entry we chose; a concurrent put may have replaced it.
                    try table.mutate(victim.key) { slot in
                        if slot?.sequence == victim.value.sequence { slot = nil }
                    }
                }
            }
        }
    }
}
