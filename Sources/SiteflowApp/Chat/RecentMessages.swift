public import SiteflowStore
import Synchronization

/// The latest messages of each room, in memory, so that a join can answer with the room's recent
/// history at once (a join runs synchronously in the socket process; the store is asynchronous).
///
/// A room is *loaded* once its history has been read from the store; after that every committed
/// message is appended here. A join of a room that is not loaded answers with no messages and the
/// channel pushes the history when the store has answered.
public final class RecentMessages: Sendable {
    /// How many messages per room are kept.
    public let depth: Int
    private let rooms = Mutex<[String: [ChatMessage]]>([:])

    /// Keeps the latest `depth` messages of each loaded room.
    public init(depth: Int = 50) {
        self.depth = max(1, depth)
    }

    /// The room's latest messages, oldest first, or `nil` if the room is not loaded.
    public func latest(room: String) -> [ChatMessage]? {
        rooms.withLock { $0[room] }
    }

    /// Records the room's history as read from the store (oldest first); messages committed
    /// meanwhile and already recorded are kept.
    public func load(room: String, history: [ChatMessage]) {
        rooms.withLock { rooms in
            var merged = history
            for message in rooms[room] ?? [] where !history.contains(where: { $0.id == message.id }) {
                merged.append(message)
            }
            merged.sort { $0.id < $1.id }
            rooms[room] = Array(merged.suffix(depth))
        }
    }

    /// Records a committed message, if its room is loaded (in id order: commits from concurrent
    /// senders may arrive out of order).
    public func append(_ message: ChatMessage) {
        rooms.withLock { rooms in
            guard var messages = rooms[message.room] else { return }
            guard !messages.contains(where: { $0.id == message.id }) else { return }
            let index = messages.lastIndex { $0.id < message.id }.map { $0 + 1 } ?? 0
            messages.insert(message, at: index)
            if messages.count > depth { messages.removeFirst(messages.count - depth) }
            rooms[message.room] = messages
        }
    }

    /// The number of loaded rooms.
    public var loadedRoomCount: Int { rooms.withLock { $0.count } }
}
