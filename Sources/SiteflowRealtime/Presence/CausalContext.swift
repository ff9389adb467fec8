/// The set of dots a replica has seen: a version vector (every dot up to a counter, per replica)
/// plus a "cloud" of dots seen out of order. Compacted so the cloud stays small.
public struct CausalContext: Sendable, Hashable {
    /// Per replica, the highest counter such that every dot up to it has been seen.
    public private(set) var vector: [String: UInt64] = [:]
    /// Dots seen beyond the vector.
    public private(set) var cloud: Set<Dot> = []

    /// An empty context.
    public init() {}

    /// Whether `dot` has been seen.
    public func contains(_ dot: Dot) -> Bool {
        dot.counter <= vector[dot.replica, default: 0] || cloud.contains(dot)
    }

    /// The next dot `replica` should use (its own additions are always contiguous).
    public func nextDot(for replica: String) -> Dot {
        Dot(replica: replica, counter: vector[replica, default: 0] + 1)
    }

    /// Records `dot` as seen.
    public mutating func insert(_ dot: Dot) {
        guard !contains(dot) else { return }
        if dot.counter == vector[dot.replica, default: 0] + 1 {
            vector[dot.replica] = dot.counter
            compact()
        } else {
            cloud.insert(dot)
        }
    }

    /// Records everything `other` has seen.
    public mutating func merge(_ other: CausalContext) {
        for (replica, counter) in other.vector where counter > vector[replica, default: 0] {
            vector[replica] = counter
        }
        for dot in other.cloud where !contains(dot) { cloud.insert(dot) }
        compact()
    }

    /// Moves cloud dots that extend the vector into it, and drops cloud dots the vector covers:
    /// one sweep in (replica, counter) order, so each replica's contiguous run is absorbed at once.
    private mutating func compact() {
        guard !cloud.isEmpty else { return }
        var remaining: Set<Dot> = []
        for dot in cloud.sorted() {
            let top = vector[dot.replica, default: 0]
            if dot.counter <= top { continue }
            if dot.counter == top + 1 {
                vector[dot.replica] = dot.counter
            } else {
                remaining.insert(dot)
            }
        }
        cloud = remaining
    }
}
