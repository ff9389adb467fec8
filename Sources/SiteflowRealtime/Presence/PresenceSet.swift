/// The presence state of a cluster as an add-wins observed-remove set (AWOR-set) of
/// ``PresenceEntry``s with a causal context: a delta-state CRDT (Almeida, Shoker, Baquero).
///
/// Every addition gets a fresh ``Dot`` of the local replica. Removing an entry only removes the
/// dots the remover has seen, so a concurrent re-addition (a new dot) survives: adds win. Any
/// mutation returns a delta — a small ``PresenceSet`` of its own — that other replicas
/// ``merge(_:)``; merging is commutative, associative and idempotent, so deltas can be gossiped
/// in any order, repeated, or replaced by the full state.
public struct PresenceSet: Sendable, Hashable {
    /// This replica (node) name; tags every dot it creates.
    public let replica: String
    /// Everything this replica has seen.
    public private(set) var context = CausalContext()
    /// The live entries by the dot that added them.
    public private(set) var entries: [Dot: PresenceEntry] = [:]

    /// An empty set for `replica`.
    public init(replica: String) { self.replica = replica }

    /// Adds `entry` under a fresh dot; returns the dot and the delta to replicate.
    public mutating func add(_ entry: PresenceEntry) -> (dot: Dot, delta: PresenceSet) {
        let dot = context.nextDot(for: replica)
        context.insert(dot)
        entries[dot] = entry
        var delta = PresenceSet(replica: replica)
        delta.context.insert(dot)
        delta.entries[dot] = entry
        return (dot, delta)
    }

    /// Removes the entry added by `dot`; returns the delta to replicate (its context names the
    /// dot, with no entry: "observed and removed").
    @discardableResult
    public mutating func remove(_ dot: Dot) -> PresenceSet {
        entries[dot] = nil
        var delta = PresenceSet(replica: replica)
        delta.context.insert(dot)
        return delta
    }

    /// Removes every entry added by `replica` (a node found down); local only, returns what left.
    public mutating func removeReplica(_ replica: String) -> [Dot: PresenceEntry] {
        let gone = entries.filter { $0.key.replica == replica }
        for dot in gone.keys { entries[dot] = nil }
        return gone
    }

    /// Merges a delta (or a whole state) from another replica; returns the entries that appeared
    /// and those that disappeared here, for `presence_diff`.
    @discardableResult
    public mutating func merge(_ other: PresenceSet) -> (joins: [Dot: PresenceEntry], leaves: [Dot: PresenceEntry]) {
        var joins: [Dot: PresenceEntry] = [:]
        var leaves: [Dot: PresenceEntry] = [:]
        for (dot, entry) in other.entries where entries[dot] == nil && !context.contains(dot) {
            entries[dot] = entry
            joins[dot] = entry
        }
        for (dot, entry) in entries where other.entries[dot] == nil && other.context.contains(dot) {
            entries[dot] = nil
            leaves[dot] = entry
        }
        context.merge(other.context)
        return (joins, leaves)
    }

    /// Adds a delta into an accumulating delta (for batching gossip); no diff is computed.
    public mutating func absorb(_ delta: PresenceSet) {
        for (dot, entry) in delta.entries where !context.contains(dot) || entries[dot] != nil { entries[dot] = entry }
        for dot in entries.keys where delta.entries[dot] == nil && delta.context.contains(dot) { entries[dot] = nil }
        context.merge(delta.context)
    }

    /// The entries of `topic`, in dot order.
    public func entries(of topic: String) -> [(dot: Dot, entry: PresenceEntry)] {
        entries.filter { $0.value.topic == topic }.sorted { $0.key < $1.key }.map { (dot: $0.key, entry: $0.value) }
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
