import Synchronization

/// A concurrent key-value table with *set* semantics (one value per key), like an ETS `set` table.
///
/// The keyspace is spread over a power-of-two number of shards, each protected by its own `Mutex`, so
/// operations on different keys rarely contend. Every single-key operation is atomic (linearizable).
/// Whole-table operations (`count`, `snapshot()`, `removeAll()`, `removeAll(where:)`) visit the shards one
/// at a time: each shard is handled atomically but the table as a whole is not frozen while they run.
/// After `close()` every operation throws `TableError.closed`.
public final class SharedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct ShardState: Sendable {
        var storage: [Key: Value]
        var isClosed = false
    }

    private final class Shard: Sendable {
        let state: Mutex<ShardState>
        /// Keeps neighbouring shard objects off each other's cache line (avoids false sharing).
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)

        init(minimumCapacity: Int) {
            state = Mutex(ShardState(storage: Dictionary(minimumCapacity: minimumCapacity)))
        }
    }

    /// The largest shard count accepted; larger requests are clamped.
    public static var maximumShardCount: Int { 1 << 16 }

    private let shards: [Shard]
    private let shardShift: UInt64
    private let entryCount = Atomic<Int>(0)
    private let closedFlag = Atomic<Bool>(false)

    /// The number of shards (always a power of two).
    public let shardCount: Int

    /// Creates an empty table; `shardCount` is rounded up to a power of two in `1...maximumShardCount`.
    ///
    /// `minimumCapacity` is a hint for the total number of entries, spread evenly over the shards.
    public init(shardCount: Int = 16, minimumCapacity: Int = 0) {
        let requested = min(max(shardCount, 1), Self.maximumShardCount)
        var count = 1
        var bits: UInt64 = 0
        while count < requested {
            count <<= 1
            bits += 1
        }
        self.shardCount = count
        self.shardShift = 64 - bits
        let perShard = max(minimumCapacity, 0) / count
        self.shards = (0..<count).map { _ in Shard(minimumCapacity: perShard) }
    }

    // MARK: - Single-key operations

    /// Stores `value` for `key`, replacing any previous value; returns the replaced value, if any.
    @discardableResult
    public func insert(_ value: Value, for key: Key) throws(TableError) -> Value? {
        try withStorage(for: key) { storage in storage.updateValue(value, forKey: key) }
    }

    /// Stores `value` only if `key` is absent (like `ets:insert_new/2`); returns whether it was stored.
    @discardableResult
    public func insertNew(_ value: Value, for key: Key) throws(TableError) -> Bool {
        try withStorage(for: key) { storage in
            if storage[key] != nil { return false }
            storage[key] = value
            return true
        }
    }

    /// Returns the value stored for `key`, or `nil` if there is none.
    public func lookup(_ key: Key) throws(TableError) -> Value? {
        try withStorage(for: key) { storage in storage[key] }
    }

    /// Returns whether a value is stored for `key`.
    public func contains(_ key: Key) throws(TableError) -> Bool {
        try withStorage(for: key) { storage in storage[key] != nil }
    }

    /// Removes the entry for `key`; returns the removed value, or `nil` if there was none.
    @discardableResult
    public func remove(_ key: Key) throws(TableError) -> Value? {
        try withStorage(for: key) { storage in storage.removeValue(forKey: key) }
    }

    /// Atomically read-modify-writes the value for `key` (like `ets:update_counter`), inserting
    /// `defaultValue` first if the key is absent; returns what `body` returns.
    ///
    /// `body` runs while the key's shard is locked: keep it short and never touch this table from it.
    @discardableResult
    public func update<R: Sendable>(
        _ key: Key,
        default defaultValue: @autoclosure () -> Value,
        _ body: (inout Value) -> R
    ) throws(TableError) -> R {
        try withStorage(for: key) { storage in body(&storage[key, default: defaultValue()]) }
    }

    /// Atomically inspects and changes the entry for `key`: `body` gets the current value (`nil` if absent)
    /// and may replace it, or set it to `nil` to remove the entry; returns what `body` returns.
    ///
    /// `body` runs while the key's shard is locked: keep it short and never touch this table from it.
    @discardableResult
    public func mutate<R: Sendable>(_ key: Key, _ body: (inout Value?) -> R) throws(TableError) -> R {
        try withStorage(for: key) { storage in body(&storage[key]) }
    }

    // MARK: - Whole-table operations

    /// The number of entries; exact when no writes are in flight, otherwise a value the count had recently.
    public var count: Int {
        get throws(TableError) {
            if closedFlag.load(ordering: .acquiring) { throw .closed }
            return entryCount.load(ordering: .relaxed)
        }
    }

    /// Whether the table holds no entries (same consistency as `count`).
    public var isEmpty: Bool {
        get throws(TableError) { try count == 0 }
    }

    /// Removes every entry (shard by shard).
    public func removeAll() throws(TableError) {
        try forEachShard { storage in storage.removeAll() }
    }

    /// Removes every entry for which `shouldRemove` returns `true`; returns how many were removed.
    ///
    /// The predicate runs with one shard locked at a time; it must not touch this table.
    @discardableResult
    public func removeAll(where shouldRemove: (Key, Value) -> Bool) throws(TableError) -> Int {
        var removed = 0
        try forEachShard { storage in
            let before = storage.count
            storage = storage.filter { entry in !shouldRemove(entry.key, entry.value) }
            removed += before - storage.count
        }
        return removed
    }

    /// Returns a copy of all entries, in unspecified order; each shard is copied atomically.
    public func snapshot() throws(TableError) -> [(key: Key, value: Value)] {
        var result: [(key: Key, value: Value)] = []
        result.reserveCapacity(entryCount.load(ordering: .relaxed))
        try forEachShard { storage in
            for (key, value) in storage { result.append((key: key, value: value)) }
        }
        return result
    }

    /// An approximate size in bytes of the table's own storage (hash buckets, inline keys and values,
    /// shard objects); memory referenced *by* keys or values (string buffers, objects) is not counted.
    public var memoryEstimate: Int {
        let entryBytes = MemoryLayout<Key>.stride + MemoryLayout<Value>.stride
        var total = MemoryLayout<Self>.size + 64
        for shard in shards {
            let capacity = shard.state.withLock { state in state.storage.capacity }
            // Inline entries, one metadata bit per bucket, shard object + dictionary header.
            total += capacity * entryBytes + (capacity + 7) / 8 + 128
        }
        return total
    }

    // MARK: - Ownership

    /// Whether `close()` has been called.
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Deletes the table: drops all entries and makes every later operation throw `TableError.closed`.
    /// Idempotent; operations racing with `close()` either complete before it or throw.
    public func close() {
        closedFlag.store(true, ordering: .releasing)
        for shard in shards {
            shard.state.withLock { state in
                state.isClosed = true
                entryCount.subtract(state.storage.count, ordering: .relaxed)
                state.storage = [:]
            }
        }
    }

    // MARK: - Internals

    private func shard(for key: Key) -> Shard {
        // Fibonacci hashing: take the high bits of the mixed hash so the shard choice does not correlate
        // with the low bits the per-shard dictionary uses.
        let mixed = UInt64(truncatingIfNeeded: key.hashValue) &* 0x9E37_79B9_7F4A_7C15
        return shards[Int(truncatingIfNeeded: mixed >> shardShift)]
    }

    /// Runs `body` on the storage of `key`'s shard under its lock, keeping `entryCount` in sync.
    private func withStorage<R: Sendable>(
        for key: Key,
        _ body: (inout [Key: Value]) -> R
    ) throws(TableError) -> R {
        let outcome = shard(for: key).state.withLock { state -> R? in
            if state.isClosed { return nil }
            let before = state.storage.count
            let result = body(&state.storage)
            let delta = state.storage.count - before
            // Adjusted under the shard lock so per-shard adds and subtracts are ordered and never underflow.
            if delta != 0 { entryCount.add(delta, ordering: .relaxed) }
            return result
        }
        guard let outcome else { throw .closed }
        return outcome
    }

    /// Runs `body` on every shard's storage in turn, each under its lock, keeping `entryCount` in sync.
    private func forEachShard(_ body: (inout [Key: Value]) -> Void) throws(TableError) {
        for shard in shards {
            let visited = shard.state.withLock { state -> Bool? in
                if state.isClosed { return nil }
                let before = state.storage.count
                body(&state.storage)
                let delta = state.storage.count - before
                if delta != 0 { entryCount.add(delta, ordering: .relaxed) }
                return true
            }
            guard visited != nil else { throw .closed }
        }
    }
}
