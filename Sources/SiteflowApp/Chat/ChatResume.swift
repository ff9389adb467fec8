public import SiteflowRealtime
public import SiteflowStore

/// Resuming a room from the last message a client saw (join `{"after": id}` and
/// `history {"after": id}`): the messages after that id, oldest first, at most one page, and
/// whether there are more (the client asks for the rest with `history {"after": <last id>}`).
///
/// Served from ``RecentMessages`` when the room's cached messages cover everything after the id
/// (the cache holds the room's latest messages without a gap, so it covers the range when its
/// oldest message is at or before the id, or when it holds the whole room); otherwise from the
/// store through the `(room, id)` index.
public struct ChatResumePage: Sendable, Hashable {
    /// The messages after the id, oldest first (at most one page).
    public var messages: [ChatMessage]
    /// Whether messages after the last of ``messages`` exist.
    public var more: Bool

    /// Creates a page; see each property.
    public init(messages: [ChatMessage], more: Bool) {
        self.messages = messages
        self.more = more
    }

    /// The page as the channel sends it: `{"messages": [Message…], "more": bool}`.
    public var json: JSONValue {
        ["messages": .array(messages.map(\.json)), "more": .bool(more)]
    }

    /// The refusal of an `after` that is not a message id.
    public static let invalidAfterReason = "after must be a message id (an integer, 0 or more)"

    /// The `after` of a join or history payload: nil when absent (or null), the id when it is an
    /// integer ≥ 0, and a failure (``invalidAfterReason``) for anything else.
    public static func afterID(in payload: JSONValue) -> Result<Int64?, InvalidAfter> {
        guard let value = payload["after"] else { return .success(nil) }
        if case .null = value { return .success(nil) }
        guard let id = value.intValue, id >= 0 else { return .failure(InvalidAfter()) }
        return .success(id)
    }

    /// An `after` that is not a message id.
    public struct InvalidAfter: Error, Sendable, Hashable {
        /// The reason sent to the client.
        public var reason: String { ChatResumePage.invalidAfterReason }
    }
}

extension ChatServices {
    /// The messages of `room` after `afterID` from the recent-history cache, or nil when the
    /// cache does not cover that range (the room is not loaded, or messages after the id are
    /// older than its oldest cached one).
    public func cachedResume(room: String, after afterID: Int64) -> ChatResumePage? {
        guard let cached = recent.latest(room: room) else { return nil }
        let covers = cached.count < recent.depth || (cached.first.map { $0.id <= afterID } ?? true)
        guard covers else { return nil }
        let newer = cached.filter { $0.id > afterID }
        return ChatResumePage(messages: Array(newer.prefix(pageSize)), more: newer.count > pageSize)
    }

    /// The messages of `room` after `afterID`, at most one page: from the cache when it covers
    /// them, else from the store.
    /// - Throws: ``StoreError`` when the store cannot be read.
    public func resume(room: String, after afterID: Int64) async throws(StoreError) -> ChatResumePage {
        if let cached = cachedResume(room: room, after: afterID) { return cached }
        let page = try await store.history(room: room, limit: pageSize, after: afterID)
        return ChatResumePage(messages: page.messages, more: page.newerCursor != nil)
    }
}
