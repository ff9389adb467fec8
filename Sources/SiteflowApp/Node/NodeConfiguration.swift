public import Logging
public import SiteflowRealtime
public import SiteflowRuntime
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
    /// Which `Origin`s may open sockets (default: the node's own pages, whatever host they were
    /// reached by, and clients that send no `Origin`).
    public var origins: OriginPolicy
    /// Socket behaviour (channel limit, idle timeout, inbound and join rate limits, frame size).
    public var socket: SocketConfiguration
    /// How often sockets check their idle timeout (default 5 s).
    public var idleCheckInterval: Duration
    /// Messages per join reply and history page (default 50).
    public var historyPageSize: Int
    /// Whether the node runs the chat's daily digest job (default true).
    public var runsDigestJob: Bool
    /// Channels the application routes next to the chat's `room:*` (default none; `siteflow
    /// serve --bench-topics` adds the load tester's `bench:*` here).
    public var channels: @Sendable (inout ChannelRouter) -> Void
    /// Whether the server's event-loop threads are pinned one per CPU (Linux; default false; see
    /// `ServerConfiguration.pinsEventLoops`).
    public var pinsEventLoops: Bool
    /// Who may open the dashboard and read `/metrics` (default nil: a token is generated at
    /// start and offered as ``SiteflowNode/dashboardURL``).
    public var admin: AdminAccess?
    /// The key that signs the node's tokens (default nil: `SITEFLOW_SECRET_KEY`, else the key
    /// file beside the database, created on the first start; see ``SecretKey``).
    public var secretKey: SecretKey?
    /// The most TCP connections the node holds, in total and per client address, and the most
    /// long-poll sessions (defaults: `ServerConfiguration`'s 100,000, 25,000 and 10,000).
    public var maxConnections: Int
    /// See ``maxConnections``.
    public var maxConnectionsPerAddress: Int
    /// See ``maxConnections``.
    public var maxLongPollSessions: Int
    /// How chat nicknames are held: grace period, token lifetime, bounds (see ``NicknameClaims``).
    public var nicknameClaims = NicknameClaims.Policy()
    /// A listening socket handed over by the node supervisor (`siteflow serve` without
    /// `--no-supervise`), accepted on instead of binding ``host``:``port``. Default nil.
    public var listeningSocket: CInt?
    /// Where the node supervisor keeps crash reports of earlier nodes, shown on the dashboard.
    /// Default nil (no panel).
    public var crashReports: CrashReportFolder?
    /// Whether the loopback-only fault-injection hooks (`POST /_fault/…`, see `FaultInjection`)
    /// and their process run. Default false: never on a production node.
    public var faultInjection = false
    /// When the node gives free C heap back to the system after a burst (``HeapTrimmer``); nil
    /// never trims. Default: when more than 32 MiB and more than the live heap is free, checked
    /// every 10 s.
    public var heapTrim: HeapTrimmer.Policy? = HeapTrimmer.Policy()
    /// How long running jobs get to finish when the node drains (SIGTERM, a reload); those
    /// still running then are stopped, recorded as failed and retried (``JobEngine/stop(deadline:)``).
    /// Messages being written are committed in any case. Default 20 s.
    public var drainTimeout: Duration = .seconds(20)
    /// How isolated processes get their worker OS processes (``SiteflowRuntime/IsolationConfiguration``):
    /// by default this executable's `isolated-worker` subcommand, with the servers of
    /// ``NodeIsolatedBehaviors``. A node started inside another program (a test) points
    /// `executable` at the `siteflow` binary.
    public var isolation = IsolationConfiguration(behaviors: NodeIsolatedBehaviors.catalogue)
    /// How long one store operation may wait for the database before it fails with
    /// `unavailable` (``StoreConfiguration/operationTimeout``). Default 5 s.
    public var storeOperationTimeout: Duration = .seconds(5)
    /// How much chat history is kept per room, enforced by ``HistoryTrimJob`` every 5 minutes
    /// (default: the newest ``HistoryRetention/defaultKeepPerRoom`` per room, no age limit; nil
    /// keeps every message for ever).
    public var historyRetention: HistoryRetention? = HistoryRetention()
    /// How fast each client address may create chat rooms (see ``ChatRooms``).
    public var chatRooms = ChatRooms.Policy()
    /// Where the node logs.
    public var logger: Logger

    /// Creates a configuration; see each property for its default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 4000,
        database: DatabaseURL = .default,
        nodeName: String = "node-\(UInt32.random(in: .min ... .max))",
        origins: OriginPolicy = .sameOrigin,
        socket: SocketConfiguration = SocketConfiguration(),
        idleCheckInterval: Duration = .seconds(5),
        historyPageSize: Int = 50,
        runsDigestJob: Bool = true,
        channels: @escaping @Sendable (inout ChannelRouter) -> Void = { _ in },
        pinsEventLoops: Bool = false,
        admin: AdminAccess? = nil,
        secretKey: SecretKey? = nil,
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
        self.channels = channels
        self.pinsEventLoops = pinsEventLoops
        self.admin = admin
        self.secretKey = secretKey
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.maxLongPollSessions = maxLongPollSessions
        self.logger = logger
    }
}
