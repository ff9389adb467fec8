/// Turns the clients' closes and joins into ``RecoveryEvent``s (a value; the load tester keeps
/// one per process behind a lock).
///
/// Before ``watch()`` (the initial connect and join) nothing is recorded. After it, the first
/// close of a joined client opens an event; the event closes once every client that went down
/// during it is joined again. A client that goes down twice in one event counts once, with its
/// last rejoin.
public struct RecoveryTracker: Sendable {
    /// The clients of this process.
    public let clients: Int
    /// Whether steady state has begun (events are recorded).
    public private(set) var isWatching = false
    /// The events closed so far.
    public private(set) var events: [RecoveryEvent] = []
    private var start: UInt64?
    private var down: Set<Int> = []
    private var rejoined: [Int: UInt64] = [:]

    /// A tracker of `clients` clients.
    public init(clients: Int) {
        self.clients = clients
    }

    /// Steady state: from now on closes open events.
    public mutating func watch() {
        isWatching = true
    }

    /// Joined client `client` lost its socket or its channel at `instant`.
    public mutating func clientWentDown(_ client: Int, at instant: UInt64) {
        guard isWatching else { return }
        if start == nil { start = instant }
        down.insert(client)
        rejoined[client] = nil
    }

    /// Client `client`'s join was answered ok at `instant`.
    public mutating func clientJoined(_ client: Int, at instant: UInt64) {
        guard start != nil, down.remove(client) != nil else { return }
        rejoined[client] = instant
        if down.isEmpty { close() }
    }

    /// Clients down in the open event.
    public var clientsDown: Int { down.count }

    /// Closes the open event, if any (the clients still down count as such), and returns every
    /// event.
    public mutating func finish() -> [RecoveryEvent] {
        if start != nil { close() }
        return events
    }

    private mutating func close() {
        guard let start else { return }
        events.append(RecoveryEvent(start: start, clients: clients, rejoinedAt: Array(rejoined.values), stillDown: down.count))
        self.start = nil
        down = []
        rejoined = [:]
    }
}
