public import SiteflowRealtime
public import SiteflowStore

/// What every chat channel shares: the store and its group-commit writer, the recent-history
/// cache, presence, the nickname claims and the rooms that exist.
public struct ChatServices: Sendable {
    /// The node's store (history pages).
    public let store: any MessageStore
    /// Batches concurrent messages into one transaction; a send is acknowledged after its commit.
    public let writer: MessageWriter
    /// The latest messages per room, for join replies.
    public let recent: RecentMessages
    /// Who is in each room.
    public let presence: Presence
    /// Who holds which nickname (a join for a held nickname needs its token).
    public let claims: NicknameClaims
    /// Which rooms exist, and how fast each client address may create new ones.
    public let rooms: ChatRooms
    /// How many messages a join reply and a history page carry.
    public let pageSize: Int

    /// Bundles the chat's shared services, and has `recent` (and `rooms`, for a room with no
    /// stored message) forget a room once its presence empties (its last member left), so rooms
    /// nobody is in hold no memory.
    public init(store: any MessageStore, writer: MessageWriter, recent: RecentMessages, presence: Presence, claims: NicknameClaims,
                rooms: ChatRooms = ChatRooms(), pageSize: Int = 50) {
        self.store = store
        self.writer = writer
        self.recent = recent
        self.presence = presence
        self.claims = claims
        self.rooms = rooms
        self.pageSize = pageSize
        presence.whenTopicEmpties { [recent, rooms] topic in
            guard topic.hasPrefix(ChatNames.topicPrefix) else { return }
            let room = String(topic.dropFirst(ChatNames.topicPrefix.count))
            recent.evict(room: room)
            rooms.forgetIfUnused(room)
        }
    }

    /// Reads a room's latest history from the store into the cache, if it is not loaded yet.
    /// Returns the room's latest messages, oldest first.
    @discardableResult
    public func loadRecent(room: String) async throws(StoreError) -> [ChatMessage] {
        if let cached = recent.latest(room: room) { return cached }
        recent.beginLoad(room: room)
        let page: HistoryPage
        do throws(StoreError) {
            page = try await store.history(room: room, limit: recent.depth, before: nil)
        } catch {
            recent.cancelLoad(room: room)
            throw error
        }
        recent.load(room: room, history: page.messages)
        return recent.latest(room: room) ?? page.messages
    }
}
