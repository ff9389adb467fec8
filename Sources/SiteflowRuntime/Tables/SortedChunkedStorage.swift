/// Sorted key-value storage used by `OrderedSharedTable`: a list of sorted chunks (a flat, two-level B-tree).
///
/// Lookups and neighbour queries are O(log n); inserts and removals are O(log n + chunk size), with the
/// chunk size bounded by `maxChunkSize`, so large tables avoid the O(n) shifting of a single sorted array.
/// Not thread-safe by itself: the owning table serialises access.
struct SortedChunkedStorage<Key: Comparable, Value> {
    /// One sorted run of keys with their values at the same indices.
    struct Chunk {
        var keys: [Key]
        var values: [Value]
    }

    /// A chunk splits in two when it grows beyond this many entries.
    static var maxChunkSize: Int { 256 }

    private(set) var chunks: [Chunk] = []
    /// `maxes[i]` is the last (largest) key of `chunks[i]`; used to pick a chunk by binary search.
    private var maxes: [Key] = []
    private(set) var count = 0

    init() {}

    // MARK: Point operations

    /// The value stored for `key`, if any.
    func value(for key: Key) -> Value? {
        guard let (chunk, index) = position(of: key) else { return nil }
        return chunks[chunk].values[index]
    }

    /// Stores `value` for `key` (replacing); returns the replaced value, if any.
    mutating func insert(_ value: Value, for key: Key) -> Value? {
        if chunks.isEmpty {
            chunks.append(Chunk(keys: [key], values: [value]))
            maxes.append(key)
            count = 1
            return nil
        }
        // The chunk whose max is >= key, or the last chunk when key is beyond every max.
        let chunk = min(maxes.sortedLowerBound(of: key), chunks.count - 1)
        let index = chunks[chunk].keys.sortedLowerBound(of: key)
        if index < chunks[chunk].keys.count, chunks[chunk].keys[index] == key {
            let old = chunks[chunk].values[index]
            chunks[chunk].values[index] = value
            return old
        }
        chunks[chunk].keys.insert(key, at: index)
        chunks[chunk].values.insert(value, at: index)
        count += 1
        if index == chunks[chunk].keys.count - 1 { maxes[chunk] = key }
        splitIfNeeded(chunk)
        return nil
    }

    /// Calls `body` on the value stored for `key` in place, inserting `defaultValue()` first if absent.
    mutating func update<R>(_ key: Key, default defaultValue: () -> Value, _ body: (inout Value) -> R) -> R {
        if let (chunk, index) = position(of: key) {
            return body(&chunks[chunk].values[index])
        }
        var value = defaultValue()
        let result = body(&value)
        _ = insert(value, for: key)
        return result
    }

    /// Removes the entry for `key`; returns its value, if there was one.
    mutating func remove(_ key: Key) -> Value? {
        guard let (chunk, index) = position(of: key) else { return nil }
        chunks[chunk].keys.remove(at: index)
        let old = chunks[chunk].values.remove(at: index)
        count -= 1
        if let last = chunks[chunk].keys.last {
            maxes[chunk] = last
            mergeIfNeeded(chunk)
        } else {
            chunks.remove(at: chunk)
            maxes.remove(at: chunk)
        }
        return old
    }

    /// Drops every entry and releases the storage.
    mutating func removeAll() {
        chunks = []
        maxes = []
        count = 0
    }

    // MARK: Ordered queries

    /// The entry with the smallest key.
    var first: (key: Key, value: Value)? {
        guard let chunk = chunks.first, let key = chunk.keys.first, let value = chunk.values.first else { return nil }
        return (key, value)
    }

    /// The entry with the largest key.
    var last: (key: Key, value: Value)? {
        guard let chunk = chunks.last, let key = chunk.keys.last, let value = chunk.values.last else { return nil }
        return (key, value)
    }

    /// The entry with the smallest key strictly greater than `key`.
    func next(after key: Key) -> (key: Key, value: Value)? {
        let chunk = maxes.sortedUpperBound(of: key)
        guard chunk < chunks.count else { return nil }
        let index = chunks[chunk].keys.sortedUpperBound(of: key)
        return entry(chunk, index)
    }

    /// The entry with the largest key strictly smaller than `key`.
    func previous(before key: Key) -> (key: Key, value: Value)? {
        let chunk = maxes.sortedLowerBound(of: key)
        if chunk == chunks.count { return last }
        let index = chunks[chunk].keys.sortedLowerBound(of: key)
        if index > 0 { return entry(chunk, index - 1) }
        if chunk > 0 { return entry(chunk - 1, chunks[chunk - 1].keys.count - 1) }
        return nil
    }

    /// Entries in ascending key order, starting at the first key `>= lowerBound` (or the very first entry
    /// when `lowerBound` is `nil`), while `accept(key)` holds, at most `limit` of them.
    func entries(from lowerBound: Key?, limit: Int = .max, while accept: (Key) -> Bool) -> [(key: Key, value: Value)] {
        var result: [(key: Key, value: Value)] = []
        guard limit > 0 else { return result }
        var chunk = 0
        var index = 0
        if let lowerBound {
            chunk = maxes.sortedLowerBound(of: lowerBound)
            guard chunk < chunks.count else { return result }
            index = chunks[chunk].keys.sortedLowerBound(of: lowerBound)
        }
        while chunk < chunks.count {
            let keys = chunks[chunk].keys
            let values = chunks[chunk].values
            while index < keys.count {
                guard accept(keys[index]) else { return result }
                result.append((key: keys[index], value: values[index]))
                if result.count >= limit { return result }
                index += 1
            }
            chunk += 1
            index = 0
        }
        return result
    }

    /// Reserved capacities of the chunk arrays, for memory estimates: (key slots, value slots).
    var capacities: (keys: Int, values: Int, chunks: Int) {
        var keys = maxes.capacity
        var values = 0
        for chunk in chunks {
            keys += chunk.keys.capacity
            values += chunk.values.capacity
        }
        return (keys, values, chunks.capacity)
    }

    // MARK: Internals

    private func position(of key: Key) -> (chunk: Int, index: Int)? {
        let chunk = maxes.sortedLowerBound(of: key)
        guard chunk < chunks.count else { return nil }
        let index = chunks[chunk].keys.sortedLowerBound(of: key)
        guard index < chunks[chunk].keys.count, chunks[chunk].keys[index] == key else { return nil }
        return (chunk, index)
    }

    private func entry(_ chunk: Int, _ index: Int) -> (key: Key, value: Value)? {
        guard chunk >= 0, chunk < chunks.count, index >= 0, index < chunks[chunk].keys.count else { return nil }
        return (chunks[chunk].keys[index], chunks[chunk].values[index])
    }

    private mutating func splitIfNeeded(_ chunk: Int) {
        let size = chunks[chunk].keys.count
        guard size > Self.maxChunkSize else { return }
        let half = size / 2
        let upper = Chunk(keys: Array(chunks[chunk].keys[half...]), values: Array(chunks[chunk].values[half...]))
        chunks[chunk].keys.removeSubrange(half...)
        chunks[chunk].values.removeSubrange(half...)
        chunks.insert(upper, at: chunk + 1)
        maxes.insert(maxes[chunk], at: chunk + 1)
        maxes[chunk] = chunks[chunk].keys[half - 1]
    }

    /// Merges a chunk that shrank below a quarter of the maximum into its right neighbour when both fit.
    private mutating func mergeIfNeeded(_ chunk: Int) {
        guard chunks[chunk].keys.count < Self.maxChunkSize / 4 else { return }
        let left = chunk + 1 < chunks.count ? chunk : chunk - 1
        guard left >= 0, left + 1 < chunks.count else { return }
        guard chunks[left].keys.count + chunks[left + 1].keys.count <= Self.maxChunkSize else { return }
        let right = chunks.remove(at: left + 1)
        chunks[left].keys.append(contentsOf: right.keys)
        chunks[left].values.append(contentsOf: right.values)
        maxes.remove(at: left)
    }
}

extension SortedChunkedStorage: Sendable where Key: Sendable, Value: Sendable {}
extension SortedChunkedStorage.Chunk: Sendable where Key: Sendable, Value: Sendable {}

extension Array where Element: Comparable {
    /// Index of the first element `>= key` in this ascending array (`count` if none).
    fileprivate func sortedLowerBound(of key: Element) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = low + (high - low) / 2
            if self[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Index of the first element `> key` in this ascending array (`count` if none).
    fileprivate func sortedUpperBound(of key: Element) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = low + (high - low) / 2
            if key < self[mid] { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
