/// One event in a replicated causal history: the `counter`-th addition made by `replica` (a node
/// name). Presence entries are identified by the dot that added them.
public struct Dot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The node that made the addition.
    public var replica: String
    /// That node's sequence number for it (from 1).
    public var counter: UInt64

    /// Creates a dot.
    public init(replica: String, counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    /// Orders by replica, then counter (for deterministic listings).
    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.counter) < (rhs.replica, rhs.counter)
    }

    /// `replica:counter`.
    public var description: String { "\(replica):\(counter)" }
}
