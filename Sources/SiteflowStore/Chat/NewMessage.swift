/// A chat message to persist, as a sender submits it.
///
/// `idempotencyKey` is chosen by the client and belongs to its sender: a retried message with the
/// same room, sender (``nickname``) and key is stored once, and the retry is acknowledged with the
/// original message. The same key from another sender is another message.
public struct NewMessage: Sendable, Hashable {
    /// The room (topic) the message belongs to.
    public var room: String
    /// The sender's display name.
    public var nickname: String
    /// The message text.
    public var body: String
    /// A client-chosen key that makes the sender's retries idempotent within the room (nil: no
    /// deduplication).
    public var idempotencyKey: String?

    /// Creates a message; see each property.
    public init(room: String, nickname: String, body: String, idempotencyKey: String? = nil) {
        self.room = room
        self.nickname = nickname
        self.body = body
        self.idempotencyKey = idempotencyKey
    }
}
