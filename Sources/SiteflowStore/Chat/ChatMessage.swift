public import Foundation

/// A persisted chat message, as history returns it and as an acknowledgement confirms it.
public struct ChatMessage: Sendable, Hashable, Identifiable {
    /// The store-assigned id; ids grow with insertion order within a store.
    public var id: Int64
    /// The room the message belongs to.
    public var room: String
    /// The sender's display name.
    public var nickname: String
    /// The message text.
    public var body: String
    /// When the store accepted the message (the store clock's time, microsecond precision).
    public var insertedAt: Date
    /// The client's idempotency key, if it gave one.
    public var idempotencyKey: String?

    /// Creates a message value; see each property.
    public init(id: Int64, room: String, nickname: String, body: String, insertedAt: Date, idempotencyKey: String?) {
        self.id = id
        self.room = room
        self.nickname = nickname
        self.body = body
        self.insertedAt = insertedAt
        self.idempotencyKey = idempotencyKey
    }

    /// The cursor that pages to messages older than this one.
    public var cursor: MessageCursor { MessageCursor(beforeID: id) }
}
