/// What the store accepts as a message; anything else is refused with a typed ``StoreError``
/// (``StoreError/Code/invalidMessage`` or ``StoreError/Code/messageTooLarge``) before it reaches
/// the database.
public struct MessageLimits: Sendable, Hashable {
    /// Longest body, in UTF-8 bytes (default 4,096).
    public var maxBodyBytes: Int
    /// Longest nickname, in UTF-8 bytes (default 64).
    public var maxNicknameBytes: Int
    /// Longest room name, in UTF-8 bytes (default 200).
    public var maxRoomBytes: Int
    /// Longest idempotency key, in UTF-8 bytes (default 128).
    public var maxIdempotencyKeyBytes: Int

    /// Creates limits; every parameter has a default.
    public init(maxBodyBytes: Int = 4096, maxNicknameBytes: Int = 64, maxRoomBytes: Int = 200, maxIdempotencyKeyBytes: Int = 128) {
        self.maxBodyBytes = maxBodyBytes
        self.maxNicknameBytes = maxNicknameBytes
        self.maxRoomBytes = maxRoomBytes
        self.maxIdempotencyKeyBytes = maxIdempotencyKeyBytes
    }

    /// Checks `message`: non-empty room, nickname and body, each within its limit, and no NUL
    /// characters (PostgreSQL cannot store them).
    /// - Throws: ``StoreError`` `messageTooLarge` for a long body, `invalidMessage` otherwise.
    public func validate(_ message: NewMessage) throws(StoreError) {
        try Self.check(message.room, name: "room", max: maxRoomBytes)
        try Self.check(message.nickname, name: "nickname", max: maxNicknameBytes)
        if message.body.utf8.count > maxBodyBytes {
            throw StoreError(.messageTooLarge, "message body is \(message.body.utf8.count) bytes; the limit is \(maxBodyBytes)")
        }
        if message.body.isEmpty || message.body.allSatisfy(\.isWhitespace) {
            throw StoreError(.invalidMessage, "message body is empty")
        }
        if message.body.utf8.contains(0) { throw StoreError(.invalidMessage, "message body contains a NUL character") }
        if let key = message.idempotencyKey {
            try Self.check(key, name: "idempotency key", max: maxIdempotencyKeyBytes)
        }
    }

    private static func check(_ value: String, name: String, max: Int) throws(StoreError) {
        if value.isEmpty { throw StoreError(.invalidMessage, "\(name) is empty") }
        if value.utf8.count > max { throw StoreError(.invalidMessage, "\(name) is longer than \(max) bytes") }
        if value.utf8.contains(0) { throw StoreError(.invalidMessage, "\(name) contains a NUL character") }
    }
}
