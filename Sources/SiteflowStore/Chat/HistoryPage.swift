/// One page of a room's history, oldest message first.
public struct HistoryPage: Sendable, Hashable {
    /// The messages of the page, oldest first (the newest page ends with the latest message).
    public var messages: [ChatMessage]
    /// The cursor for the next older page, or nil when this page reaches the room's first message
    /// (always nil for a page read with a ``MessageCursor/Direction/newer`` cursor).
    public var olderCursor: MessageCursor?
    /// For a page read with a ``MessageCursor/Direction/newer`` cursor: the cursor for the next
    /// newer page, or nil when this page reaches the room's latest message (always nil for an
    /// older or latest page).
    public var newerCursor: MessageCursor?

    /// Creates a page; see each property.
    public init(messages: [ChatMessage], olderCursor: MessageCursor?, newerCursor: MessageCursor? = nil) {
        self.messages = messages
        self.olderCursor = olderCursor
        self.newerCursor = newerCursor
    }
}
