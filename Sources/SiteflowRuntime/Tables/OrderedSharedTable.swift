import Synchronization

/// A concurrent key-value table with *ordered set* semantics (one value per key, keys kept sorted),
/// like an ETS `ordered_set` table.
///
/// A single `Mutex` guards a chunked sorted structure: point reads and neighbour queries are O(log n),
/// writes O(log n + 256); every operation (including `snapshot()` and range queries) is atomic.
/// After `close()` every operation throws `TableError.closed`.
public final class OrderedSharedTable<Key: Comparable & Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State: Sendable {
        var storage = SortedChunkedStorage<Key, Value>()
        var isClosed = false
    }

    private let state = Mutex(State())

    /// Creates an empty ordered table.
    public init() {}

    // MARK: - Single-key operations

    /// Stores `value` for `key`, replacing any previous value; returns the replaced value, if any.
    @discardableResult
    public func insert(_ value: Value, for key: Key) throws(TableError) -> Value? {
        try withStorage { storage in storage.insert(value, for: key) }
    }

    /// Stores `value` only if `key` is absent (like `ets:insert_new/2`); returns whether it was stored.
    @discardableResult
    public func insertNew(_ value: Value, for key: Key) throws(TableError) -> Bool {
        try withStorage { storage in
            if storage.value(for: key) != nil { return false }
            _ = storage.insert(value, for: key)
            return true
        }
    }

    /// Returns the value stored for `key`, or `nil` if there is none.
    public func lookup(_ key: Key) throws(TableError) -> Value? {
        try withStorage { storage in storage.value(for: key) }
    }

    /// Returns whether a value is stored for `key`.
    public func contains(_ key: Key) throws(TableError) -> Bool {
        try withStorage { storage in storage.value(for: key) != nil }
    }

    /// Removes the entry for `key`; returns the removed value, or `nil` if there was none.
    @discardableResult
    public func remove(_ key: Key) throws(TableError) -> Value? {
        try withStorage { storage in storage.remove(key) }
    }

    /// Atomically read-modify-writes the value for `key` in place, inserting `defaultValue` first if the
    /// key is absent; returns what `body` returns. `body` runs under the table lock: keep it short.
    @discardableResult
    public func update<R: Sendable>(
        _ key: Key,
        default defaultValue: @autoclosure () -> Value,
        _ body: (inout Value) -> R
    ) throws(TableError) -> R {
        try withStorage { storage in storage.update(key, default: defaultValue, body) }
    }

    // MARK: - Ordered queries

    /// The entry with the smallest key, or `nil` when the table is empty.
    public var first: (key: Key, value: Value)? {
        get throws(TableError) { try withStorage { storage in storage.first } }
    }

    /// The entry with the largest key, or `nil` when the table is empty.
    public var last: (key: Key, value: Value)? {
        get throws(TableError) { try withStorage { storage in storage.last } }
    }

    /// The entry with the smallest key strictly greater than `key` (like `ets:next/2`); `key` need not exist.
    public func next(after key: Key) throws(TableError) -> (key: Key, value: Value)? {
        try withStorage { storage in storage.next(after: key) }
    }

    /// The entry with the largest key strictly smaller than `key` (like `ets:prev/2`); `key` need not exist.
    public func previous(before key: Key) throws(TableError) -> (key: Key, value: Value)? {
        try withStorage { storage in storage.previous(before: key) }
    }

    /// Entries with `lower <= key < upper` (half-open), in ascending key order; empty if `upper <= lower`.
    public func range(from lower: Key, to upper: Key) throws(TableError) -> [(key: Key, value: Value)] {
        try withStorage { storage in storage.entries(from: lower) { key in key < upper } }
    }

    /// Entries with `lower <= key <= upper` (closed), in ascending key order; empty if `upper < lower`.
    public func range(from lower: Key, through upper: Key) throws(TableError) -> [(key: Key, value: Value)] {
        try withStorage { storage in storage.entries(from: lower) { key in key <= upper } }
    }

    /// The first `maxCount` entries in ascending key order (fewer if the table is smaller).
    public func prefix(_ maxCount: Int) throws(TableError) -> [(key: Key, value: Value)] {
        try withStorage { storage in storage.entries(from: nil, limit: maxCount) { _ in true } }
    }

    // MARK: - Whole-table operations

    /// The exact number of entries.
    public var count: Int {
        get throws(TableError) { try withStorage { storage in storage.count } }
    }

    /// Whether the table holds no entries.
    public var isEmpty: Bool {
        get throws(TableError) { try count == 0 }
    }

    /// Removes every entry.
    public func removeAll() throws(TableError) {
        try withStorage { storage in storage.removeAll() }
    }

    /// Returns an atomic copy of all entries in ascending key order.
    public func snapshot() throws(TableError) -> [(key: Key, value: Value)] {
        try withStorage { storage in storage.entries(from: nil) { _ in true } }
    }

    /// An approximate size in bytes of the table's own storage (inline keys and values, chunk arrays);
    /// memory referenced *by* keys or values (string buffers, objects) is not counted.
    public var memoryEstimate: Int {
        let capacities = state.withLock { state in state.storage.capacities }
        return MemoryLayout<Self>.size + 64
            + capacities.keys * MemoryLayout<Key>.stride
            + capacities.values * MemoryLayout<Value>.stride
            + capacities.chunks * (MemoryLayout<SortedChunkedStorage<Key, Value>.Chunk>.stride + 64)
    }

    // MARK: - Ownership

    /// Whether `close()` has been called.
    public var isClosed: Bool {
        state.withLock { state in state.isClosed }
    }

    /// Deletes the table: drops all entries and makes every later operation throw `TableError.closed`.
    /// Idempotent.
    public func close() {
        state.withLock { state in
            state.isClosed = true
            state.storage.removeAll()
        }
    }

    // MARK: - Internals

    private func withStorage<R: Sendable>(
        _ body: (inout SortedChunkedStorage<Key, Value>) -> R
    ) throws(TableError) -> R {
        let result = state.withLock { state -> R? in
            if state.isClosed { return nil }
            return body(&state.storage)
        }
        guard let result else { throw .closed }
        return result
    }
}
