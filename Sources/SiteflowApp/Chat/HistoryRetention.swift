/// How much chat history the node keeps (issue 14): in every room the newest ``keepPerRoom``
/// messages, and, with a ``maxAge``, none older than that. ``HistoryTrimJob`` deletes the rest
/// every 5 minutes; between two runs a room may hold more.
public struct HistoryRetention: Sendable, Hashable {
    /// The default bound per room: 10,000 messages. That is 200 history pages of 50 for anyone
    /// scrolling back, and everything the daily digest reads (it scans at most 10,000 messages
    /// per room); at a few hundred bytes a message, about 3 MB per room.
    public static let defaultKeepPerRoom = 10_000

    /// The most messages a room keeps: its newest (at least 1; default ``defaultKeepPerRoom``;
    /// `Int.max` bounds rooms by ``maxAge`` alone).
    public var keepPerRoom: Int
    /// If set, messages older than this are deleted too, however few the room holds (default:
    /// none, age alone deletes nothing).
    public var maxAge: Duration?
    /// The most messages one delete statement removes, so a large first trim never holds the
    /// database's write lock for long (default 1,000; at least 1).
    public var batchSize: Int

    /// A retention; see each property.
    public init(keepPerRoom: Int = Self.defaultKeepPerRoom, maxAge: Duration? = nil, batchSize: Int = 1_000) {
        self.keepPerRoom = keepPerRoom
        self.maxAge = maxAge
        self.batchSize = batchSize
    }
}
