import Logging
public import ServiceLifecycle
public import SiteflowObservability
public import SiteflowRealtime
public import SiteflowRuntime
public import SiteflowServer
public import SiteflowStore

/// One running Siteflow node: the runtime, the store with its group-commit writer and job
/// engine, PubSub and presence, the socket endpoint with the chat channel, metrics, the dashboard,
/// and the HTTP server that serves them all on one port.
///
/// Start it with ``start(_:)``; stop it with ``stop()`` (or run it as a ``Service``): the server
/// stops accepting and tells clients to reconnect elsewhere (close 1001), running jobs finish,
/// the writer commits what it holds, the store closes, and the runtime stops.
public final class SiteflowNode: Service, Sendable {
    /// The configuration it was started with.
    public let configuration: NodeConfiguration
    /// The process runtime everything runs on.
    public let runtime: Runtime
    /// The store (SQLite or PostgreSQL).
    public let store: any Store
    /// The chat's shared services.
    public let chat: ChatServices
    /// The node's PubSub.
    public let pubsub: PubSub
    /// The sockets' endpoint.
    public let endpoint: RealtimeEndpoint
    /// The HTTP/WebSocket server.
    public let server: SiteflowHTTPServer
    /// The durable job engine.
    public let jobs: JobEngine
    /// What `/metrics` serves.
    public let metrics: NodeMetrics
    /// What `/dashboard` shows.
    public let dashboard: Dashboard
    private let idleTimer: TimerHandle

    private init(configuration: NodeConfiguration, runtime: Runtime, store: any Store, chat: ChatServices, pubsub: PubSub,
                 endpoint: RealtimeEndpoint, server: SiteflowHTTPServer, jobs: JobEngine, metrics: NodeMetrics,
                 dashboard: Dashboard, idleTimer: TimerHandle) {
        self.configuration = configuration
        self.runtime = runtime
        self.store = store
        self.chat = chat
        self.pubsub = pubsub
        self.endpoint = endpoint
        self.server = server
        self.jobs = jobs
        self.metrics = metrics
        self.dashboard = dashboard
        self.idleTimer = idleTimer
    }

    /// Opens the store (running its migrations), builds every part and starts listening.
    /// - Throws: ``StoreError`` when the database cannot be opened (a clear message: which path
    ///   or server, and why); the server's error when the port cannot be bound.
    public static func start(_ configuration: NodeConfiguration) async throws -> SiteflowNode {
        let logger = configuration.logger
        let runtime = Runtime(configuration: RuntimeConfiguration(logger: logger))
        let store: any Store
        do {
            store = try await StoreFactory.open(configuration.database, configuration: StoreConfiguration(logger: logger))
        } catch {
            runtime.shutdown()
            throw error
        }
        let statistics = SocketStatistics()
        let pubsub = PubSub(runtime: runtime, statistics: statistics)
        let presence = Presence(runtime: runtime, pubsub: pubsub, node: configuration.nodeName)
        let chat = ChatServices(store: store, writer: MessageWriter(store: store), recent: RecentMessages(depth: configuration.historyPageSize, statistics: statistics),
                                presence: presence, pageSize: configuration.historyPageSize)

        var router = ChannelRouter()
        router.channel("room:*") { ChatChannel(services: chat) }
        if configuration.benchTopics { router.channel("bench:*") { BroadcastChannel() } }
        let definition = SocketDefinition(router: router) { request in
            var assigns = Assigns()
            if let nickname = request.params["nickname"] { assigns["nickname"] = nickname }
            return .accept(assigns)
        }
        var socketConfiguration = configuration.socket
        socketConfiguration.origins = configuration.origins
        let endpoint = RealtimeEndpoint(runtime: runtime, definition: definition, pubsub: pubsub,
                                        configuration: socketConfiguration, statistics: statistics)

        var workers = JobWorkers()
        RoomDigestJob.register(in: &workers, services: chat, pubsub: pubsub)
        var jobConfiguration = JobEngineConfiguration(node: configuration.nodeName)
        if configuration.runsDigestJob { jobConfiguration.cron.append(try RoomDigestJob.schedule()) }
        let jobs = JobEngine(store: store, runtime: runtime, workers: workers, configuration: jobConfiguration, logger: logger)

        let metrics = NodeMetrics()
        metrics.add(RuntimeMetrics(runtime: runtime, registry: metrics.registry))
        metrics.add(RealtimeMetrics(endpoint: endpoint, pubsub: pubsub, registry: metrics.registry))
        let dashboard = Dashboard(nodeName: configuration.nodeName)
        dashboard.add(RuntimeDashboard(runtime: runtime))
        dashboard.add(RealtimeDashboard(endpoint: endpoint, pubsub: pubsub, jobs: jobs))

        var routes = RouteTable.chatApplication
        routes.get("/metrics") { _ in RouteResponse(contentType: NodeMetrics.contentType, body: metrics.scrape()) }
        routes.get("/dashboard") { _ in
            RouteResponse(status: 301, contentType: "text/plain", text: "see /dashboard/", headers: [(name: "location", value: "/dashboard/")])
        }
        routes.get("/dashboard/") { _ in RouteResponse(contentType: Dashboard.pageContentType, body: Dashboard.pageHTML) }
        routes.get("/dashboard/data") { _ in RouteResponse(contentType: Dashboard.documentContentType, body: dashboard.documentJSON()) }
        let server = SiteflowHTTPServer(
            configuration: ServerConfiguration(
                host: configuration.host, port: configuration.port, maxFrameSize: configuration.socket.maxFrameBytes,
                pinsEventLoops: configuration.pinsEventLoops),
            endpoint: endpoint, routes: routes, logger: logger)

        let idleTimer = runtime.timers.scheduleRepeating(every: configuration.idleCheckInterval) { endpoint.tick() }
        let node = SiteflowNode(configuration: configuration, runtime: runtime, store: store, chat: chat, pubsub: pubsub,
                                endpoint: endpoint, server: server, jobs: jobs, metrics: metrics, dashboard: dashboard, idleTimer: idleTimer)
        do {
            try await jobs.start()
            try await server.start()
        } catch {
            await node.stop()
            throw error
        }
        logger.info("siteflow node started", metadata: [
            "node": "\(configuration.nodeName)", "url": "http://\(configuration.host):\(server.localPort ?? configuration.port)/",
            "database": "\(configuration.database)",
        ])
        return node
    }

    /// The port the node listens on.
    public var port: Int? { server.localPort }

    /// Runs until a graceful shutdown is requested (SIGTERM/SIGINT through a `ServiceGroup`), then
    /// stops the node.
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops the node in order (see the type's description). Idempotent.
    public func stop() async {
        runtime.cancelTimer(idleTimer)
        await server.shutdown()
        await jobs.stop()
        await chat.writer.close()
        await store.close()
        runtime.shutdown()
    }
}
