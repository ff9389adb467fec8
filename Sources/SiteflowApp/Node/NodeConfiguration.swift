public import Logging
public import SiteflowRealtime
public import SiteflowStore

/// How `siteflow serve` runs a node. Every parameter has a default: with none, the node serves
/// the chat app on 127.0.0.1:4000 and keeps its data in `siteflow.db`.
public struct NodeConfiguration: Sendable {
    /// The address to listen on (default `127.0.0.1`; `0.0.0.0` for every interface).
    public var host: String
    /// The port (default 4000; 0 picks a free one).
    public var port: Int
    /// Where the data lives (default SQLite `siteflow.db` in the working directory).
    public var database: DatabaseURL
    /// The node's name, unique in a cluster (default `node-<random>`).
    public var nodeName: String
    /// Which `Origin`s may open sockets (default any).
    public var origins: OriginPolicy
    /// Socket behaviour (channel limit, idle timeout, rate limit, frame size).
    public var socket: SocketConfiguration
    /// How often sockets check their idle timeout (default 5 s).
    public var idleCheckInterval: Duration
    /// Messages per join reply and history page (default 50).
    public var historyPageSize: Int
    /// Whether the node runs the chat's daily digest job (default true).
    public var runsDigestJob: Bool
    /// Whether topics `bench:*` route to ``BroadcastChannel`` for load tests (default false).
    public var benchTopics: Bool
    /// Whether the server's event-loop threads are pinned one per CPU (Linux; default false; see
    /// `ServerConfiguration.pinsEventLoops`).
    public var pinsEventLoops: Bool
    /// The most TCP connections the node holds, in total and per client address, and the most
    /// long-poll sessions (defaults: `ServerConfiguration`'s 100,000, 25,000 and 10,000).
    public var maxConnections: Int
    /// See ``maxConnections``.
    public var maxConnectionsPerAddress: Int
    /// See ``maxConnections``.
    public var maxLongPollSessions: Int
    /// Where the node logs.
    public var logger: Logger

    /// Creates a configuration; see each property for its default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 4000,
        database: DatabaseURL = .default,
        nodeName: String = "node-\(UInt32.random(in: .min ... .max))",
        origins: OriginPolicy = .any,
        socket: SocketConfiguration = SocketConfiguration(),
        idleCheckInterval: Duration = .seconds(5),
        historyPageSize: Int = 50,
        runsDigestJob: Bool = true,
        benchTopics: Bool = false,
        pinsEventLoops: Bool = false,
        maxConnections: Int = 100_000,
        maxConnectionsPerAddress: Int = 25_000,
        maxLongPollSessions: Int = 10_000,
        logger: Logger = Logger(label: "siteflow")
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.nodeName = nodeName
        self.origins = origins
        self.socket = socket
        self.idleCheckInterval = idleCheckInterval
        self.historyPageSize = historyPageSize
        self.runsDigestJob = runsDigestJob
        self.benchTopics = benchTopics
        self.pinsEventLoops = pinsEventLoops
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.maxLongPollSessions = maxLongPollSessions
        self.logger = logger
    }
}
