/// The members of a JSON object, in order. Equality ignores order (two objects with the same
/// members are equal), encoding keeps it.
public struct JSONObject: Sendable, Hashable, Sequence {
    /// The members in order; a key may repeat when the object was parsed from text that repeats
    /// it, and lookups then see the last one (as most JSON libraries do).
    public private(set) var entries: [(key: String, value: JSONValue)]

    /// Creates an object from members in order.
    public init(_ entries: [(key: String, value: JSONValue)] = []) {
        self.entries = entries
    }

    /// The number of members.
    public var count: Int { entries.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { entries.isEmpty }

    /// The keys in order.
    public var keys: [String] { entries.map(\.key) }

    /// The value for `key` (the last, if repeated); setting replaces it in place, or appends a
    /// new member; setting `nil` removes every member with that key.
    public subscript(key: String) -> JSONValue? {
        get {
            var index = entries.endIndex
            while index > entries.startIndex {
                index -= 1
                if entries[index].key == key { return entries[index].value }
            }
            return nil
        }
        set {
            guard let newValue else {
                entries.removeAll { $0.key == key }
                return
            }
            if let index = entries.lastIndex(where: { $0.key == key }) {
                entries[index].value = newValue
            } else {
                entries.append((key: key, value: newValue))
            }
        }
    }

    /// Appends a member without looking for an existing one (the parser's fast path).
    mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
        entries.append((key: key, value: value))
    }

    /// Iterates the members in order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        entries.makeIterator()
    }

    /// Members are compared as a dictionary (last value per key), regardless of order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        let left = lhs.lastValues
        let right = rhs.lastValues
        return left == right
    }

    /// Hashes the members regardless of order.
    public func hash(into hasher: inout Hasher) {
        let values = lastValues
        hasher.combine(values.count)
        var combined = 0
        for (key, value) in values {
            var inner = Hasher()
            inner.combine(key)
            inner.combine(value)
            combined ^= inner.finalize()
        }
        hasher.combine(combined)
    }

    private var lastValues: [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        values.reserveCapacity(entries.count)
        for entry in entries { values[entry.key] = entry.value }
        return values
    }
}
