/// A named queue this node runs, with how many of its jobs may run at once on this node.
public struct JobQueue: Sendable, Hashable {
    /// The queue's name (jobs name it in ``NewJob/queue``).
    public var name: String
    /// Most jobs of this queue running at once on this node (at least 1).
    public var concurrency: Int

    /// Creates a queue; see each property.
    public init(_ name: String, concurrency: Int = 10) {
        self.name = name
        self.concurrency = max(1, concurrency)
    }
}
