/// One page of a room's history, oldest message first.
public struct HistoryPage: Sendable, Hashable {
    /// The messages of the page, oldest first (the newest page ends with the latest message).
    public var messages: [ChatMessage]
    /// The cursor for the next older page, or nil when this page reaches the room's first message.
    public var olderCursor: MessageCursor?

    /// Creates a page; see each property.
    public init(messages: [ChatMessage], olderCursor: MessageCursor?) {
        self.messages = messages
        self.olderCursor = olderCursor
    }
}
