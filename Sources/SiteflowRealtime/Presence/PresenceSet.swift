/// The presence state of a cluster as an add-wins observed-remove set (AWOR-set) of
/// ``PresenceEntry``s with a causal context: a delta-state CRDT (Almeida, Shoker, Baquero).
///
/// Every addition gets a fresh ``Dot`` of the local replica. Removing an entry only removes the
/// dots the remover has seen, so a concurrent re-addition (a new dot) survives: adds win. Any
/// mutation returns a delta — a small ``PresenceSet`` of its own — that other replicas
/// ``merge(_:)``; merging is commutative, associative and idempotent, so deltas can be gossiped
/// in any order, repeated, or replaced by the full state.
///
/// Entries are indexed by topic, so listing a topic costs that topic's size, and the local
/// mutations (``add(_:)``, ``remove(_:)``, ``absorbAddition(_:_:)``, ``absorbRemoval(_:)``)
/// cost O(1) whatever the size of the set.
public struct PresenceSet: Sendable, Hashable {
    /// This replica (node) name; tags every dot it creates.
    public let replica: String
    /// Everything this replica has seen.
    public private(set) var context = CausalContext()
    /// The live entries by the dot that added them.
    public private(set) var entries: [Dot: PresenceEntry] = [:]
    /// The dots of the live entries of each topic (an index of ``entries``; a topic with no
    /// entries has no key).
    public private(set) var dotsByTopic: [String: Set<Dot>] = [:]

    /// An empty set for `replica`.
    public init(replica: String) { self.replica = replica }

    /// Adds `entry` under a fresh dot; returns the dot and the delta to replicate.
    public mutating func add(_ entry: PresenceEntry) -> (dot: Dot, delta: PresenceSet) {
        let dot = context.nextDot(for: replica)
        context.insert(dot)
        insertEntry(entry, at: dot)
        var delta = PresenceSet(replica: replica)
        delta.absorbAddition(dot, entry)
        return (dot, delta)
    }

    /// Removes the entry added by `dot`; returns the delta to replicate (its context names the
    /// dot, with no entry: "observed and removed").
    @discardableResult
    public mutating func remove(_ dot: Dot) -> PresenceSet {
        removeEntry(at: dot)
        var delta = PresenceSet(replica: replica)
        delta.context.insert(dot)
        return delta
    }

    /// Removes every entry added by `replica` (a node found down); local only, returns what left.
    public mutating func removeReplica(_ replica: String) -> [Dot: PresenceEntry] {
        let gone = entries.filter { $0.key.replica == replica }
        for dot in gone.keys { removeEntry(at: dot) }
        return gone
    }

    /// Merges a delta (or a whole state) from another replica; returns the entries that appeared
    /// and those that disappeared here, for `presence_diff`.
    @discardableResult
    public mutating func merge(_ other: PresenceSet) -> (joins: [Dot: PresenceEntry], leaves: [Dot: PresenceEntry]) {
        var joins: [Dot: PresenceEntry] = [:]
        var leaves: [Dot: PresenceEntry] = [:]
        for (dot, entry) in other.entries where entries[dot] == nil && !context.contains(dot) {
            insertEntry(entry, at: dot)
            joins[dot] = entry
        }
        for (dot, entry) in entries where other.entries[dot] == nil && other.context.contains(dot) {
            leaves[dot] = entry
        }
        for dot in leaves.keys { removeEntry(at: dot) }
        context.merge(other.context)
        return (joins, leaves)
    }

    /// Adds a delta into an accumulating delta (for batching gossip); no diff is computed.
    public mutating func absorb(_ delta: PresenceSet) {
        for (dot, entry) in delta.entries where !context.contains(dot) || entries[dot] != nil { insertEntry(entry, at: dot) }
        let removed = entries.keys.filter { delta.entries[$0] == nil && delta.context.contains($0) }
        for dot in removed { removeEntry(at: dot) }
        context.merge(delta.context)
    }

    /// Adds the delta of one addition (`dot` added `entry`) into an accumulating delta: what
    /// ``absorb(_:)`` does with ``add(_:)``'s delta, in O(1).
    public mutating func absorbAddition(_ dot: Dot, _ entry: PresenceEntry) {
        if !context.contains(dot) || entries[dot] != nil { insertEntry(entry, at: dot) }
        context.insert(dot)
    }

    /// Adds the delta of one removal (of `dot`) into an accumulating delta: what ``absorb(_:)``
    /// does with ``remove(_:)``'s delta, in O(1).
    public mutating func absorbRemoval(_ dot: Dot) {
        removeEntry(at: dot)
        context.insert(dot)
    }

    /// The entries of `topic`, in dot order (costs the topic's size, through the index).
    public func entries(of topic: String) -> [(dot: Dot, entry: PresenceEntry)] {
        guard let dots = dotsByTopic[topic] else { return [] }
        return dots.sorted().compactMap { dot in entries[dot].map { (dot: dot, entry: $0) } }
    }

    private mutating func insertEntry(_ entry: PresenceEntry, at dot: Dot) {
        if let old = entries.updateValue(entry, forKey: dot), old.topic != entry.topic {
            unindex(dot, topic: old.topic)
        }
        dotsByTopic[entry.topic, default: []].insert(dot)
    }

    private mutating func removeEntry(at dot: Dot) {
        guard let old = entries.removeValue(forKey: dot) else { return }
        unindex(dot, topic: old.topic)
    }

    private mutating func unindex(_ dot: Dot, topic: String) {
        guard var dots = dotsByTopic.removeValue(forKey: topic) else { return }
        dots.remove(dot)
        if !dots.isEmpty { dotsByTopic[topic] = dots }
    }

    /// Equal when the entries and the context are equal (the replica name is not compared).
    public static func == (lhs: PresenceSet, rhs: PresenceSet) -> Bool {
        lhs.entries == rhs.entries && lhs.context == rhs.context
    }

    /// Hashes the entries and the context.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries)
        hasher.combine(context)
    }
}
