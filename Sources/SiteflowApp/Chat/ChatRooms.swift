public import SiteflowRealtime
public import SiteflowRuntime
public import SiteflowStore
import Synchronization

/// Which chat rooms exist, and how fast each client address may create new ones.
///
/// A room exists when the store holds messages of it (read at start with ``load(from:policy:statistics:clock:)``,
/// then every committed message's room) or while it has been joined since it was created. A join
/// of a room that does not exist creates it, and takes one token of the client address's budget
/// (``Policy/roomsPerMinute``, a ``RateLimiter`` keyed by address); with none left the join is
/// refused `room creation rate limited`, counted as
/// ``SocketStatistics/Counter/roomCreationRateLimited``. Joining a room that exists costs nothing.
///
/// Bounded: a room created by a join that never got a message is forgotten when its presence
/// empties (``forgetIfUnused(_:)``), so the rooms held are the store's plus the occupied ones;
/// addresses whose budget has refilled are dropped by ``purgeIdleAddresses()``. (A join racing
/// the last leave of a room with no stored message may find it forgotten, and be charged for
/// creating it again.)
public final class ChatRooms: Sendable {
    /// How fast rooms may be created.
    public struct Policy: Sendable, Hashable {
        /// Rooms one client address may create per minute; also the burst (default 10).
        public var roomsPerMinute: Int

        /// Creates a policy; every parameter has a default.
        public init(roomsPerMinute: Int = 10) {
            self.roomsPerMinute = roomsPerMinute
        }
    }

    /// What a join of a room amounts to.
    public enum Admission: Sendable, Hashable {
        /// The room exists: nothing is charged.
        case existing
        /// The room did not exist; this join creates it (one token of the address's budget taken).
        case created
        /// The room does not exist and the address has created its most rooms for now.
        case rateLimited
    }

    /// The join refusal of a room creation past the limit.
    public static let rateLimitedReason = "room creation rate limited"
    /// The socket assign holding the client's address (set by the node's `connect`).
    public static let addressAssign = "client_address"

    /// The budget of clients whose address is unknown.
    private static let unknownAddress = "?"
    /// Whether each known room has stored messages (`true`) or exists only because it was joined.
    private let rooms: Mutex<[String: Bool]>
    private let creations: RateLimiter<String>
    private let statistics: SocketStatistics?
    /// The policy in force.
    public let policy: Policy

    /// Rooms known to exist: `stored` (rooms with messages in the store).
    public init(stored: [String] = [], policy: Policy = Policy(), statistics: SocketStatistics? = nil,
                clock: any RuntimeClock = SystemClock()) {
        self.rooms = Mutex(Dictionary(stored.map { ($0, true) }, uniquingKeysWith: { first, _ in first }))
        self.policy = policy
        let perMinute = max(1, policy.roomsPerMinute)
        self.creations = RateLimiter(capacity: perMinute, refillPerSecond: Double(perMinute) / 60, clock: clock)
        self.statistics = statistics
    }

    /// Reads the rooms that exist from `store`.
    /// - Throws: ``StoreError`` when the store cannot be read.
    public static func load(from store: any MessageStore, policy: Policy = Policy(), statistics: SocketStatistics? = nil,
                            clock: any RuntimeClock = SystemClock()) async throws(StoreError) -> ChatRooms {
        ChatRooms(stored: try await store.rooms(), policy: policy, statistics: statistics, clock: clock)
    }

    /// Whether a join of `room` by a client at `address` would be admitted now; takes no token.
    /// A `false` (the caller refuses the join) is counted as a refusal; ``admit(_:address:)``
    /// decides for good.
    public func mayJoin(_ room: String, address: String?) -> Bool {
        if exists(room) { return true }
        guard ((try? creations.availableTokens(address ?? Self.unknownAddress)) ?? 0) >= 1 else {
            statistics?.increment(.roomCreationRateLimited)
            return false
        }
        return true
    }

    /// Decides on a join of `room` by a client at `address` (`nil`: unknown, one shared budget),
    /// taking a token of the address's budget when the join creates the room.
    public func admit(_ room: String, address: String?) -> Admission {
        if rooms.withLock({ $0[room] != nil }) { return .existing }
        let allowed = (try? creations.tryAcquire(address ?? Self.unknownAddress).isAllowed) ?? false
        guard allowed else {
            statistics?.increment(.roomCreationRateLimited)
            return .rateLimited
        }
        rooms.withLock { rooms in
            if rooms[room] == nil { rooms[room] = false }
        }
        return .created
    }

    /// Records that `room` has a stored message (it exists for good).
    public func stored(_ room: String) {
        rooms.withLock { $0[room] = true }
    }

    /// Forgets `room` if it has no stored message (called when its presence empties): its next
    /// join creates it again.
    public func forgetIfUnused(_ room: String) {
        rooms.withLock { rooms in
            if rooms[room] == false { rooms[room] = nil }
        }
    }

    /// Whether `room` exists now.
    public func exists(_ room: String) -> Bool {
        rooms.withLock { $0[room] != nil }
    }

    /// The number of rooms that exist now.
    public var count: Int { rooms.withLock { $0.count } }

    /// Drops the budgets of addresses that have refilled (indistinguishable from new ones); call
    /// periodically to bound memory (the node does, with its idle sweep).
    public func purgeIdleAddresses() {
        _ = try? creations.purgeIdle()
    }
}
