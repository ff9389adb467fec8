/// A position in a room's history: ``Store/history(room:limit:before:)`` returns messages strictly
/// older than it. Opaque to clients as ``token``, which survives a round trip through a URL.
public struct MessageCursor: Sendable, Hashable, CustomStringConvertible {
    /// Messages with an id below this one come before the cursor.
    public var beforeID: Int64

    /// Creates a cursor before the message with id `beforeID`.
    public init(beforeID: Int64) { self.beforeID = beforeID }

    /// Parses a cursor from its ``token``; nil if the text is not a cursor.
    public init?(token: String) {
        guard token.hasPrefix("m"), let id = Int64(token.dropFirst()), id > 0 else { return nil }
        beforeID = id
    }

    /// The cursor as text, for a client to send back.
    public var token: String { "m\(beforeID)" }

    public var description: String { token }
}
