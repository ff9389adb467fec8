import Synchronization

/// The bytes all WebSocket connections of a node hold in incomplete frames and messages,
/// against one limit: a connection whose new partial data would exceed it is closed, so that
/// many clients each sending most of a large frame cannot exhaust the node's memory.
final class PartialFrameBudget: Sendable {
    /// The most bytes all connections together may hold in incomplete frames.
    let limit: Int
    private let held = Atomic<Int>(0)

    /// A budget of `limit` bytes, none of them held.
    init(limit: Int) {
        self.limit = limit
    }

    /// Bytes held now.
    var heldBytes: Int { held.load(ordering: .relaxed) }

    /// Changes a connection's share by `delta` bytes. A growth that would take the total past
    /// the limit is refused (returns `false`, nothing changes); a shrink always succeeds.
    func adjust(by delta: Int) -> Bool {
        if delta <= 0 {
            if delta < 0 { held.wrappingSubtract(-delta, ordering: .relaxed) }
            return true
        }
        let total = held.wrappingAdd(delta, ordering: .relaxed).newValue
        if total > limit {
            held.wrappingSubtract(delta, ordering: .relaxed)
            return false
        }
        return true
    }
}
