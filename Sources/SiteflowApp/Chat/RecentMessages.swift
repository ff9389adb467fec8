public import SiteflowRealtime
public import SiteflowStore
import Synchronization

/// The latest messages of each room, in memory, so that a join can answer with the room's recent
/// history at once (a join runs synchronously in the socket process; the store is asynchronous).
///
/// A room is *loaded* once its history has been read from the store; after that every committed
/// message is appended here. A join of a room that is not loaded answers with no messages and the
/// channel pushes the history when the store has answered. While a room is being read
/// (``beginLoad(room:)`` … ``load(room:history:)``), its commits are kept aside and merged into
/// the loaded history, so a message committed after the store's read is not missing from the
/// cache (a loaded room's cache holds its latest messages without a gap: resuming joins rely on it).
///
/// Bounded: at most ``maxRooms`` rooms are loaded; loading one more evicts the least recently
/// used. A room is also evicted when its last member leaves (``evict(room:)``, called when the
/// room's presence empties). Evictions are counted as
/// ``SocketStatistics/Counter/roomCacheEvictions``. An evicted room is read from the store again
/// on its next join.
public final class RecentMessages: Sendable {
    private struct Room {
        var messages: [ChatMessage]
        var lastUsed: UInt64
    }

    /// Commits to a room not loaded yet, while readers of it are at the store.
    private struct Loading {
        var readers: Int
        var committed: [ChatMessage]
    }

    private struct Rooms {
        var byName: [String: Room] = [:]
        var loading: [String: Loading] = [:]
        var clock: UInt64 = 0

        mutating func tick() -> UInt64 {
            clock &+= 1
            return clock
        }
    }

    /// How many messages per room are kept.
    public let depth: Int
    /// The most rooms kept loaded.
    public let maxRooms: Int
    private let statistics: SocketStatistics?
    private let rooms = Mutex(Rooms())

    /// Keeps the latest `depth` messages of at most `maxRooms` loaded rooms, counting evictions in
    /// `statistics` (the node's socket statistics, shown on /metrics).
    public init(depth: Int = 50, maxRooms: Int = 1_000, statistics: SocketStatistics? = nil) {
        self.depth = max(1, depth)
        self.maxRooms = max(1, maxRooms)
        self.statistics = statistics
    }

    /// The room's latest messages, oldest first, or `nil` if the room is not loaded.
    public func latest(room: String) -> [ChatMessage]? {
        rooms.withLock { rooms in
            let now = rooms.tick()
            rooms.byName[room]?.lastUsed = now
            return rooms.byName[room]?.messages
        }
    }

    /// Notes that the room's history is about to be read from the store: commits to it are kept
    /// aside until ``load(room:history:)`` (or ``cancelLoad(room:)``) of this read.
    public func beginLoad(room: String) {
        rooms.withLock { rooms in
            guard rooms.byName[room] == nil else { return }
            rooms.loading[room, default: Loading(readers: 0, committed: [])].readers += 1
        }
    }

    /// Ends a read begun with ``beginLoad(room:)`` that failed.
    public func cancelLoad(room: String) {
        rooms.withLock { rooms in
            guard var loading = rooms.loading[room] else { return }
            loading.readers -= 1
            rooms.loading[room] = loading.readers > 0 ? loading : nil
        }
    }

    /// Records the room's history as read from the store (oldest first); messages committed
    /// meanwhile (recorded, or kept aside since ``beginLoad(room:)``) are kept.
    public func load(room: String, history: [ChatMessage]) {
        let evicted = rooms.withLock { rooms -> Int in
            var merged = history
            let committed = (rooms.byName[room]?.messages ?? []) + (rooms.loading[room]?.committed ?? [])
            for message in committed where !merged.contains(where: { $0.id == message.id }) {
                merged.append(message)
            }
            if var loading = rooms.loading[room] {
                // Later commits go to the loaded room; readers still at the store merge on load.
                loading.readers -= 1
                loading.committed = []
                rooms.loading[room] = loading.readers > 0 ? loading : nil
            }
            merged.sort { $0.id < $1.id }
            var evicted = 0
            if rooms.byName[room] == nil {
                while rooms.byName.count >= maxRooms, let oldest = rooms.byName.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                    rooms.byName[oldest.key] = nil
                    evicted += 1
                }
            }
            rooms.byName[room] = Room(messages: Array(merged.suffix(depth)), lastUsed: rooms.tick())
            return evicted
        }
        if evicted > 0 { statistics?.increment(.roomCacheEvictions, by: evicted) }
    }

    /// Forgets `room` (its last member left); the next join reads it from the store again.
    public func evict(room: String) {
        let removed = rooms.withLock { $0.byName.removeValue(forKey: room) != nil }
        if removed { statistics?.increment(.roomCacheEvictions) }
    }

    /// Records a committed message, if its room is loaded (in id order: commits from concurrent
    /// senders may arrive out of order).
    public func append(_ message: ChatMessage) {
        rooms.withLock { rooms in
            guard var messages = rooms.byName[message.room]?.messages else {
                if rooms.loading[message.room] != nil {
                    rooms.loading[message.room]?.committed.append(message)
                    if let count = rooms.loading[message.room]?.committed.count, count > depth {
                        rooms.loading[message.room]?.committed.removeFirst(count - depth)
                    }
                }
                return
            }
            guard !messages.contains(where: { $0.id == message.id }) else { return }
            let index = messages.lastIndex { $0.id < message.id }.map { $0 + 1 } ?? 0
            messages.insert(message, at: index)
            if messages.count > depth { messages.removeFirst(messages.count - depth) }
            rooms.byName[message.room]?.messages = messages
        }
    }

    /// The number of loaded rooms.
    public var loadedRoomCount: Int { rooms.withLock { $0.byName.count } }
}
