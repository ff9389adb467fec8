/// A position in a room's history and the direction to read from it:
/// ``MessageStore/history(room:limit:from:)`` returns the messages strictly older than an
/// ``Direction/older`` cursor (a page back in time), or strictly newer than a
/// ``Direction/newer`` one (a client resuming after the last message it saw). Opaque to clients
/// as ``token``, which survives a round trip through a URL.
public struct MessageCursor: Sendable, Hashable, CustomStringConvertible {
    /// Which side of the cursor's message a read returns.
    public enum Direction: Sendable, Hashable {
        /// Messages with an id below ``MessageCursor/id``: the latest of them, oldest first.
        case older
        /// Messages with an id above ``MessageCursor/id``: the earliest of them, oldest first.
        case newer
    }

    /// The message id the cursor stands at (that message itself is never returned).
    public var id: Int64
    /// Which side of ``id`` a read returns.
    public var direction: Direction

    /// Creates a cursor before the message with id `beforeID` (reads return older messages).
    public init(beforeID: Int64) {
        self.id = beforeID
        self.direction = .older
    }

    /// Creates a cursor after the message with id `afterID` (reads return newer messages).
    public init(afterID: Int64) {
        self.id = afterID
        self.direction = .newer
    }

    /// Parses a cursor from its ``token``; nil if the text is not a cursor.
    public init?(token: String) {
        guard let first = token.first, let id = Int64(token.dropFirst()) else { return nil }
        switch first {
        case "m" where id > 0: self.init(beforeID: id)
        case "n" where id >= 0: self.init(afterID: id)
        default: return nil
        }
    }

    /// The id below which an ``Direction/older`` read returns messages (`Int64.max` for a newer cursor: no bound).
    public var beforeID: Int64 { direction == .older ? id : Int64.max }

    /// The cursor as text, for a client to send back (`m<id>`: older than id; `n<id>`: newer).
    public var token: String { direction == .older ? "m\(id)" : "n\(id)" }

    public var description: String { token }
}
