public import Logging
import NIOCore
import SiteflowRuntime
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif
public import ServiceLifecycle
public import SiteflowRealtime
import Synchronization

/// Siteflow's HTTP server: plain routes, a WebSocket endpoint and Phoenix long-polling on one
/// port, as a swift-service-lifecycle ``Service``.
///
/// After the upgrade a WebSocket is served by one lean NIO channel handler that calls the
/// ``TransportSession`` directly (no task or async sequence per connection; see
/// `docs/decisions/0004-lean-websocket-transport.md`). On graceful shutdown the server stops
/// accepting, closes every WebSocket with 1001 (going away) and ends every long-poll session.
public final class SiteflowHTTPServer: Service, Sendable {
    private enum Lifecycle {
        case idle
        case running(serverChannel: any NIOCore.Channel, group: MultiThreadedEventLoopGroup)
        case stopped
    }

    /// The configuration the server was created with.
    public let configuration: ServerConfiguration
    /// Where the server counts what its limits refused (the endpoint's statistics when it is a
    /// ``RealtimeEndpoint``, so they appear on `/metrics`).
    public let statistics: SocketStatistics
    private let endpoint: any SocketEndpoint
    private let routes: RouteTable
    private let logger: Logger
    private let registry = ConnectionRegistry()
    private let longPoll: LongPollTransport
    private let connectionLimiter: ConnectionLimiter
    private let headBudget: RequestHeadBudget
    private let lifecycle = Mutex(Lifecycle.idle)
    private let boundPort = Atomic<Int>(-1)

    /// Creates a server for `endpoint`; `routes` defaults to the bundled chat application. Nothing
    /// listens until ``start()`` or ``run()``. Refusals are counted in `statistics`, by default
    /// the endpoint's own when it is a ``RealtimeEndpoint``.
    public init(
        configuration: ServerConfiguration = ServerConfiguration(),
        endpoint: any SocketEndpoint,
        routes: RouteTable = RouteTable(),
        statistics: SocketStatistics? = nil,
        logger: Logger = Logger(label: "siteflow.server")
    ) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.routes = routes
        self.logger = logger
        let statistics = statistics ?? (endpoint as? RealtimeEndpoint)?.statistics ?? SocketStatistics()
        self.statistics = statistics
        self.longPoll = LongPollTransport(endpoint: endpoint, configuration: configuration, statistics: statistics)
        self.connectionLimiter = ConnectionLimiter(maxTotal: configuration.maxConnections, maxPerAddress: configuration.maxConnectionsPerAddress)
        self.headBudget = RequestHeadBudget(limit: configuration.maxPendingRequestHeadBytes)
    }

    /// The port the server listens on once started (useful with port `0`); `nil` before.
    public var localPort: Int? {
        let port = boundPort.load(ordering: .acquiring)
        return port >= 0 ? port : nil
    }

    /// The number of open WebSocket connections and long-poll sessions.
    public var connectionCount: Int { registry.webSocketCount + longPoll.sessionCount }

    /// The number of open long-poll sessions.
    public var longPollSessionCount: Int { longPoll.sessionCount }

    /// The number of open TCP connections (HTTP and WebSocket) counted against
    /// ``ServerConfiguration/maxConnections``.
    public var openConnectionCount: Int { connectionLimiter.openConnections }

    /// Binds and starts accepting. Throws ``ServerError`` when the configuration is out of range
    /// or the server was already started, and NIO's error when the address cannot be bound.
    public func start() async throws {
        let idle = lifecycle.withLock { state -> Bool in
            if case .idle = state { return true }
            return false
        }
        guard idle else { throw ServerError.alreadyStarted }
        if let problem = configuration.problem { throw ServerError.invalidConfiguration(problem) }
        let threads = configuration.eventLoopThreads > 0 ? configuration.eventLoopThreads : System.coreCount
        let group = Self.makeEventLoopGroup(threads: threads, pinned: configuration.pinsEventLoops)
        var schedulers: [ObjectIdentifier: LoopWriteScheduler] = [:]
        for loop in group.makeIterator() {
            schedulers[ObjectIdentifier(loop)] = LoopWriteScheduler(eventLoop: loop)
        }
        let writeSchedulers = schedulers
        registry.use(Array(schedulers.values))
        let configuration = self.configuration
        let endpoint = self.endpoint
        let routes = self.routes
        let registry = self.registry
        let longPoll = self.longPoll
        let statistics = self.statistics
        let connectionLimiter = self.connectionLimiter
        let headBudget = self.headBudget
        let guardLimits = RequestGuard.Limits(
            maxHeadBytes: configuration.maxRequestHeadSize,
            readTimeout: TimeAmount(configuration.requestReadTimeout),
            idleTimeout: TimeAmount(configuration.keepAliveIdleTimeout),
            linger: TimeAmount(configuration.closeHandshakeTimeout)
        )
        let limits = WebSocketConnection.Limits(
            maxMessageSize: configuration.maxFrameSize,
            outboundQueueLimit: configuration.outboundQueueLimit,
            closeHandshakeTimeout: TimeAmount(configuration.closeHandshakeTimeout),
            receiveBufferInitialSize: configuration.receiveBufferInitialSize,
            maxUnansweredPings: configuration.maxUnansweredPings,
            partialFrameTimeout: TimeAmount(configuration.partialFrameTimeout),
            partialFrameBudget: PartialFrameBudget(limit: configuration.partialFrameBudget),
            inboundPendingLimit: configuration.inboundPendingLimit,
            statistics: endpoint.transportStatistics
        )
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // At the open-files limit accept fails at once and would be retried at once, forever
            // (100% CPU): pause accepting instead.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPause(statistics: statistics))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // NIO keeps each channel's last receive buffer for reuse, at the largest size it
            // ever grew to. HTTP is read in small fixed chunks, so a browser's large upgrade
            // request does not leave a large buffer behind; after the upgrade the WebSocket
            // gets an adaptive allocator starting at the same size (it grows for busy sockets).
            // One read per readiness event also keeps that pool at one buffer per channel (NIO
            // pools up to `maxMessagesPerRead` of them).
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(
                capacity: configuration.receiveBufferInitialSize
            ))
            .childChannelOption(.writeBufferWaterMark, value: .init(low: configuration.writeBufferHighWaterMark / 2, high: configuration.writeBufferHighWaterMark))
            .childChannelInitializer { channel in
                let address = channel.remoteAddress?.ipAddress ?? "?"
                if let refusal = connectionLimiter.admit(address) {
                    let refused: RefusedConnectionHandler
                    switch refusal {
                    case .serverFull:
                        statistics.increment(.connectionLimitRefusals)
                        refused = RefusedConnectionHandler(status: .serviceUnavailable, reason: "the server holds its most connections (\(configuration.maxConnections)); try again later", linger: guardLimits.linger)
                    case .addressFull:
                        statistics.increment(.connectionsPerAddressRefusals)
                        refused = RefusedConnectionHandler(status: .tooManyRequests, reason: "too many connections from your address (at most \(configuration.maxConnectionsPerAddress))", linger: guardLimits.linger)
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(refused)
                    }
                }
                channel.closeFuture.whenComplete { _ in connectionLimiter.release(address) }
                let negotiation = UpgradeNegotiation(
                    endpoint: endpoint,
                    webSocketPath: configuration.socketPath + "/websocket",
                    limits: limits,
                    registry: registry,
                    scheduler: writeSchedulers[ObjectIdentifier(channel.eventLoop)]
                        ?? LoopWriteScheduler(eventLoop: channel.eventLoop)
                )
                let requestGuard = RequestGuard(limits: guardLimits, budget: headBudget, statistics: statistics)
                let watcher = RequestBoundaryWatcher(requestGuard: requestGuard)
                let httpHandler = HTTPServerHandler(routes: routes, longPoll: longPoll, negotiation: negotiation, configuration: configuration,
                                                    requestGuard: requestGuard, statistics: statistics)
                let upgrader = LeanWebSocketUpgrader(negotiation: negotiation)
                return channel.eventLoop.makeCompletedFuture {
                    let removable = NIOLoopBound((httpHandler, watcher, requestGuard), eventLoop: channel.eventLoop)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                // A WebSocket now: its own limits apply, not HTTP's.
                                let (httpHandler, watcher, requestGuard) = removable.value
                                context.pipeline.syncOperations.removeHandler(httpHandler, promise: nil)
                                context.pipeline.syncOperations.removeHandler(watcher, promise: nil)
                                context.pipeline.syncOperations.removeHandler(requestGuard, promise: nil)
                            }
                        )
                    )
                    try pipeline.addHandler(requestGuard, position: .first)
                    let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                    try pipeline.addHandler(watcher, position: .after(decoder))
                    try pipeline.addHandler(httpHandler)
                }
            }
        let channel: any NIOCore.Channel
        do {
            if let descriptor = configuration.listeningSocket {
                channel = try await bootstrap.withBoundSocket(descriptor).get()
                // NIO listens again on a socket it is handed, with its default backlog (128),
                // not the `.backlog` option: a rejoin storm of thousands then overflowed the
                // accept queue of the supervisor's shared socket. Set it back.
                if listen(descriptor, configuration.backlog) != 0 {
                    logger.warning("could not set the listen backlog of the inherited socket", metadata: [LogKey.error: "errno \(errno)"])
                }
            } else {
                channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let installed = lifecycle.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .running(serverChannel: channel, group: group)
            return true
        }
        guard installed else {
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw ServerError.alreadyStarted
        }
        boundPort.store(channel.localAddress?.port ?? configuration.port, ordering: .releasing)
        logger.info("listening", metadata: [LogKey.host: "\(configuration.host)", LogKey.port: "\(localPort ?? 0)"])
    }

    /// Runs the server until a graceful shutdown (or cancellation), then shuts it down.
    public func run() async throws {
        let needsStart = lifecycle.withLock { state -> Bool in
            if case .idle = state { return true }
            return false
        }
        if needsStart { try await start() }
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting, closes every WebSocket with 1001 and every long-poll session, waits (at
    /// most ``ServerConfiguration/closeHandshakeTimeout``) for every connection, HTTP requests in
    /// flight included, to close, and stops the event loops. Idempotent.
    public func shutdown() async {
        let running = lifecycle.withLock { state -> (any NIOCore.Channel, MultiThreadedEventLoopGroup)? in
            guard case .running(let channel, let group) = state else {
                state = .stopped
                return nil
            }
            state = .stopped
            return (channel, group)
        }
        guard let (serverChannel, group) = running else { return }
        // Stop accepting first, then close: a connection already accepted (the listening socket
        // may be shared with a node that replaces this one) is served, not dropped.
        try? await serverChannel.setOption(.autoRead, value: false).get()
        try? await serverChannel.eventLoop.submit {}.get()
        try? await serverChannel.close()
        // A connection accepted just before is registered on its own event loop, where its
        // initializer counts it: let every loop run what was queued, so the wait below sees it.
        for _ in 0..<2 {
            for loop in group.makeIterator() { try? await loop.submit {}.get() }
        }
        longPoll.closeAll(code: .goingAway, reason: "server shutting down")
        registry.closeAllWebSockets(code: .goingAway, reason: "server shutting down")
        // Give clients the close handshake's time to answer, and requests in flight their time to
        // be answered, then drop what is left.
        let deadline = ContinuousClock.now + configuration.closeHandshakeTimeout
        while openConnectionCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }
}

extension SiteflowHTTPServer {
    /// The event loops; pinned one per allowed CPU (round robin) when asked and on Linux.
    static func makeEventLoopGroup(threads: Int, pinned: Bool) -> MultiThreadedEventLoopGroup {
        #if os(Linux)
        if pinned, let cpus = allowedCPUs(), !cpus.isEmpty {
            return MultiThreadedEventLoopGroup(pinnedCPUIDs: (0..<threads).map { cpus[$0 % cpus.count] })
        }
        #endif
        return MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// The CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status, e.g. `0-3,6`).
    static func allowedCPUs(status: String? = readProcSelfStatus()) -> [Int]? {
        guard let status, let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var cpus: [Int] = []
        for part in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int(String($0.filter { $0 != " " && $0 != "\t" })) }
            if bounds.count == 1, let cpu = bounds[0] {
                cpus.append(cpu)
            } else if bounds.count == 2, let low = bounds[0], let high = bounds[1], low <= high {
                cpus.append(contentsOf: low...high)
            } else {
                return nil
            }
        }
        return cpus
    }

    private static func readProcSelfStatus() -> String? {
        #if os(Linux)
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
        #else
        return nil
        #endif
    }
}
