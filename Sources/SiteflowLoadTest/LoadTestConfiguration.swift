/// What `siteflow loadtest` does: how many clients, where, how fast, for how long.
public struct LoadTestConfiguration: Sendable, Codable {
    /// The server's host (from the `ws://host:port/path` URL).
    public var host: String
    /// The server's port.
    public var port: Int
    /// The request target with its query; `vsn=2.0.0` is added when missing.
    public var target: String
    /// How many WebSocket clients to open (in this process, or in all children together).
    public var clients: Int
    /// The topic every client joins, e.g. `room:bench`; with ``rooms`` > 1, client *i* joins
    /// `<topic>-<i mod rooms>` instead (many rooms of a chat, each with its own members).
    public var topic: String
    /// How many rooms the clients are spread over (default 1: all join ``topic``).
    public var rooms: Int
    /// Aggregate `new_msg` pushes per second over all clients; `0` only connects and holds
    /// (for memory measurements).
    public var rate: Double
    /// How long to send for, after every client has joined.
    public var duration: Duration
    /// Listen-only clients on top of ``clients`` (Linux): raw sockets that join and time the
    /// broadcasts they receive without NIO's per-read cost (see ``EpollListeners``); the
    /// ``clients`` do the pushing.
    public var listeners: Int
    /// The first listener's global index (children are handed disjoint ranges).
    public var firstListenerIndex: Int
    /// How many child processes share the clients (each stays below the open-files limit).
    public var processes: Int
    /// Event-loop threads per process; `0` shares the machine's cores among the processes (at
    /// least one each), so the load tester does not run more threads than there are cores.
    public var threads: Int
    /// How many source addresses (127.0.0.1 … 127.0.0.k) the clients are spread over; `0`
    /// picks one per 20,000 clients, at least one.
    public var sourceAddresses: Int
    /// How many connection attempts may be in flight at once.
    public var connectConcurrency: Int
    /// How long after the start of sending this process sends its first push (children are
    /// handed `k / rate` so that their pushes interleave).
    public var sendOffset: Duration
    /// How long to wait for the last broadcasts after sending stops.
    public var drainTime: Duration
    /// The first client's global index (children are handed disjoint ranges).
    public var firstClientIndex: Int
    /// Extra upgrade-request headers as `name: value` (e.g. `origin: http://localhost:4000`
    /// for a socket that checks `Origin`).
    public var headers: [String]
    /// The recovery mode (`--recovery`): clients that reconnect and rejoin as phoenix.js does,
    /// keyed messages retried until acknowledged, disconnect events timed, history audited;
    /// `nil` for the plain load test.
    public var recovery: RecoveryConfiguration?

    /// The event-loop threads one process of `processes` runs on a machine of `cores`.
    public static func threadsPerProcess(threads: Int, processes: Int, cores: Int) -> Int {
        threads > 0 ? threads : max(1, cores / max(1, processes))
    }

    /// The topic client `index` joins.
    public func topic(forClient index: Int) -> String {
        rooms == 1 ? topic : "\(topic)-\(index % rooms)"
    }

    /// Creates a configuration; see each property for its meaning.
    public init(
        host: String = "127.0.0.1",
        port: Int = 4000,
        target: String = "/socket/websocket?vsn=2.0.0",
        clients: Int = 100,
        topic: String = "room:bench",
        rooms: Int = 1,
        rate: Double = 100,
        duration: Duration = .seconds(10),
        listeners: Int = 0,
        firstListenerIndex: Int = 1_000_000,
        processes: Int = 1,
        threads: Int = 0,
        sourceAddresses: Int = 0,
        connectConcurrency: Int = 256,
        sendOffset: Duration = .zero,
        drainTime: Duration = .seconds(2),
        firstClientIndex: Int = 0,
        headers: [String] = [],
        recovery: RecoveryConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.target = target
        self.clients = clients
        self.topic = topic
        self.rooms = max(1, rooms)
        self.rate = rate
        self.duration = duration
        self.listeners = listeners
        self.firstListenerIndex = firstListenerIndex
        self.processes = processes
        self.threads = threads
        self.sourceAddresses = sourceAddresses
        self.connectConcurrency = connectConcurrency
        self.sendOffset = sendOffset
        self.drainTime = drainTime
        self.firstClientIndex = firstClientIndex
        self.headers = headers
        self.recovery = recovery
    }

    /// ``headers`` split into names and values; entries without a colon are skipped.
    var headerPairs: [(name: String, value: String)] {
        headers.compactMap { entry in
            guard let colon = entry.firstIndex(of: ":") else { return nil }
            let name = entry[..<colon].trimmingSpaces()
            let value = entry[entry.index(after: colon)...].trimmingSpaces()
            return name.isEmpty ? nil : (name, value)
        }
    }

    /// Parses `ws://host:port/path?query` into host, port and target; `nil` when it is not a
    /// `ws://` URL.
    public static func parse(url: String) -> (host: String, port: Int, target: String)? {
        guard url.hasPrefix("ws://") else { return nil }
        let rest = url.dropFirst("ws://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var target = String(rest[slash...])
        if target.isEmpty { target = "/socket/websocket" }
        let host: Substring
        var port = 80
        if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let parsed = Int(authority[authority.index(after: colon)...]), (1...65535).contains(parsed) else { return nil }
            port = parsed
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        if !target.contains("vsn=") {
            target += target.contains("?") ? "&vsn=2.0.0" : "?vsn=2.0.0"
        }
        return (String(host), port, target)
    }

    /// The source addresses clients bind to, `127.0.0.1` first.
    var sourceAddressList: [String] {
        let count = sourceAddresses > 0 ? sourceAddresses : max(1, (clients + listeners + 19_999) / 20_000)
        return (1...max(1, min(count, 254))).map { "127.0.0.\($0)" }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
