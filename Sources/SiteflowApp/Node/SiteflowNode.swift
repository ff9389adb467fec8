import Foundation
import Logging
import Synchronization
public import UnixSignals
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
/// Its long-lived processes form one supervision tree under ``root``; its parts are
/// ``services`` of a `ServiceGroup` (ADR 0014).
///
/// Start it with ``start(_:)``; stop it with ``stop()`` (or run it as a ``Service``): the server
/// stops accepting and tells clients to reconnect elsewhere (close 1001), running jobs finish within the drain timeout,
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
    /// Who may open the dashboard and read `/metrics`.
    public let admin: AdminAccess
    /// The key that signs the node's tokens.
    public let secretKey: SecretKey
    /// The root supervisor (registered as ``NodeProcessNames/root``): one_for_one over the message
    /// writer's process, the nickname claims' writer, the job engine's supervisor and ticker,
    /// presence's watcher, and the sockets' supervisor (see ``NodeProcessNames``).
    public let root: SupervisorRef
    private let idleTimer: TimerHandle
    /// Whether the node opened ``store`` itself (and so closes it); a store handed to
    /// ``start(_:store:)`` is closed by whoever opened it.
    private let ownsStore: Bool
    /// Set once ``stop()`` begins: the root's end is then expected.
    private let stopping = Atomic<Bool>(false)

    /// The root supervisor's restart intensity: 5 restarts in 30 seconds. Its children hold no
    /// state of their own (the queue, the running jobs, the sockets live outside them) and are
    /// back within milliseconds, and none crashes on an ordinary failure (a commit or a tick
    /// that fails is reported to its senders or logged, not thrown), so a restart is a bug or an
    /// operator's kill: a few in a row are repaired, but a child that keeps crashing makes the
    /// root give up within 30 s instead of looping for ever, and the node reports it.
    public static let rootIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(30))

    private init(configuration: NodeConfiguration, runtime: Runtime, store: any Store, chat: ChatServices, pubsub: PubSub,
                 endpoint: RealtimeEndpoint, server: SiteflowHTTPServer, jobs: JobEngine, metrics: NodeMetrics,
                 dashboard: Dashboard, admin: AdminAccess, secretKey: SecretKey, root: SupervisorRef, idleTimer: TimerHandle,
                 ownsStore: Bool) {
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
        self.admin = admin
        self.secretKey = secretKey
        self.root = root
        self.idleTimer = idleTimer
        self.ownsStore = ownsStore
    }

    /// Runs a node until its group shuts down gracefully (one of `gracefulShutdownSignals`, or
    /// the enclosing group's shutdown): one `ServiceGroup` runs the PostgreSQL store's connection
    /// pool (a ``PostgresStore``, first to start and last to stop) and then the node, which is
    /// started inside the group (``start(_:store:)``), handed to `onStarted`, and run as
    /// ``services``. A SQLite node's group holds the node alone.
    /// - Throws: what ``start(_:store:)`` throws.
    public static func run(
        _ configuration: NodeConfiguration, gracefulShutdownSignals: [UnixSignal] = [],
        onStarted: @escaping @Sendable (SiteflowNode) async -> Void = { _ in }
    ) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var launch = NodeLaunch(configuration: configuration, store: nil, onStarted: onStarted)
        if case .postgres(let endpoint) = configuration.database {
            let store = PostgresStore(endpoint: endpoint, configuration: StoreConfiguration(operationTimeout: configuration.storeOperationTimeout, logger: configuration.logger))
            services.append(ServiceGroupConfiguration.ServiceConfiguration(service: store))
            launch.store = store
        }
        services.append(ServiceGroupConfiguration.ServiceConfiguration(service: launch))
        try await ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: configuration.logger)).run()
    }

    /// Opens the store (running its migrations) unless `store` is given open, builds every part
    /// and starts listening. A PostgreSQL database needs its store given (its connection pool
    /// runs as a `Service`; ``run(_:gracefulShutdownSignals:onStarted:)`` does both).
    /// - Throws: ``ChatAssetError`` when the chat page's files are not beside the binary;
    ///   ``SecretKeyError`` when the secret key is too short or its file unsafe or unwritable;
    ///   ``StoreError`` when the database cannot be opened (a clear message: which path
    ///   or server, and why); the server's error when the port cannot be bound.
    public static func start(_ configuration: NodeConfiguration, store given: (any Store)? = nil) async throws -> SiteflowNode {
        let logger = configuration.logger
        let chatAssets = try ChatAssets.load()
        let runtime = Runtime(configuration: RuntimeConfiguration(logger: logger, isolation: configuration.isolation))
        let ownsStore = given == nil
        let store: any Store
        do {
            if let given { store = given } else { store = try await openStore(configuration.database, logger: logger) }
        } catch {
            runtime.shutdown()
            throw error
        }
        /// Closes the store if the node opened it (on a failed start).
        @Sendable func closeOwnedStore() async { if ownsStore { await store.close() } }
        // The key file lives beside the database: loaded once the database is known to open.
        let secretKey: SecretKey
        let sqlitePath: String? = if case .sqlite(let path) = configuration.database { path } else { nil }
        do {
            secretKey = try configuration.secretKey ?? SecretKey.load(
                environment: ProcessInfo.processInfo.environment, file: SecretKey.defaultFile(for: sqlitePath))
        } catch {
            await closeOwnedStore()
            runtime.shutdown()
            throw error
        }
        logger.info("secret key loaded", metadata: [LogKey.origin: "\(secretKey.origin)"])
        let statistics = SocketStatistics()
        let pubsub = PubSub(runtime: runtime, dispatcher: ChannelDispatcher(statistics: statistics))
        let presence = Presence(runtime: runtime, pubsub: pubsub, node: configuration.nodeName)
        let chat = ChatServices(store: store, writer: MessageWriter(store: store),
                                recent: RecentMessages(depth: configuration.historyPageSize, statistics: statistics),
                                presence: presence,
                                claims: try await NicknameClaims.load(from: store, secret: secretKey.bytes, policy: configuration.nicknameClaims,
                                                                     statistics: statistics),
                                rooms: try await ChatRooms.load(from: store, policy: configuration.chatRooms, statistics: statistics),
                                pageSize: configuration.historyPageSize)

        var router = ChannelRouter()
        router.channel("room:*") { ChatChannel(services: chat) }
        if configuration.faultInjection { router.channel("fault:*") { CrashingChannel(addressAssign: ChatRooms.addressAssign) } }
        configuration.channels(&router)
        let definition = SocketDefinition(router: router) { request in
            var assigns = Assigns()
            assigns[NicknameClaims.connectionAssign] = NicknameClaims.newConnectionID()
            if let nickname = request.params["nickname"] { assigns["nickname"] = nickname }
            if let address = request.connectInfo.remoteHost { assigns[ChatRooms.addressAssign] = address }
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
        let trimStatistics = HistoryTrimStatistics()
        if let retention = configuration.historyRetention {
            HistoryTrimJob.register(in: &workers, store: store, retention: retention, statistics: trimStatistics)
            jobConfiguration.cron.append(try HistoryTrimJob.schedule())
        }
        let jobs = JobEngine(store: store, runtime: runtime, workers: workers, configuration: jobConfiguration, logger: logger)

        let heapTrimmer = configuration.heapTrim.map { HeapTrimmer(policy: $0) }
        let metrics = NodeMetrics()
        metrics.add(RuntimeMetrics(runtime: runtime, registry: metrics.registry))
        if let heapTrimmer { metrics.add(HeapMetrics(trimmer: heapTrimmer, registry: metrics.registry)) }
        metrics.add(HistoryMetrics(statistics: trimStatistics, registry: metrics.registry))
        let dashboard = Dashboard(nodeName: configuration.nodeName)
        dashboard.add(RuntimeDashboard(runtime: runtime))
        dashboard.add(RealtimeDashboard(endpoint: endpoint, pubsub: pubsub, jobs: jobs))
        if let crashReports = configuration.crashReports { dashboard.add(CrashReportDashboard(folder: crashReports)) }

        var routes = RouteTable()
        chatAssets.register(in: &routes)
        // Operator surfaces: only with the admin token (AdminAccess).
        let admin = configuration.admin ?? AdminAccess.generated()
        routes.get("/metrics") { request in
            guard admin.authorizesMetrics(request) else { return admin.unauthorized("/metrics") }
            return RouteResponse(contentType: NodeMetrics.contentType, body: metrics.scrape())
        }
        routes.get("/dashboard") { request in
            let query = request.queryParameters["token"].map { "?token=\($0)" } ?? ""
            return RouteResponse(status: 301, contentType: "text/plain", text: "see /dashboard/", headers: [(name: "location", value: "/dashboard/\(query)")])
        }
        // The dashboard is one page with its script and style inline; nothing else may run there.
        let dashboardPolicy = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
            + "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        routes.get("/dashboard/") { request in
            admin.dashboardPage(request) {
                RouteResponse(contentType: Dashboard.pageContentType, body: Dashboard.pageHTML,
                              headers: [(name: "content-security-policy", value: dashboardPolicy)])
            }
        }
        if configuration.faultInjection { FaultInjection.register(in: &routes, runtime: runtime, processName: NodeProcessNames.faults, isolatedProcessName: NodeProcessNames.isolatedFaults) }
        routes.get("/dashboard/data") { request in
            guard admin.authorizesAdmin(request) else { return admin.unauthorized("/dashboard/data") }
            return RouteResponse(contentType: Dashboard.documentContentType, body: dashboard.documentJSON(), headers: [(name: "cache-control", value: "no-store")])
        }
        var serverConfiguration = ServerConfiguration(
            host: configuration.host, port: configuration.port, maxFrameSize: configuration.socket.maxFrameBytes,
            pinsEventLoops: configuration.pinsEventLoops, maxConnections: configuration.maxConnections,
            maxConnectionsPerAddress: configuration.maxConnectionsPerAddress, maxLongPollSessions: configuration.maxLongPollSessions)
        serverConfiguration.listeningSocket = configuration.listeningSocket
        let server = SiteflowHTTPServer(configuration: serverConfiguration, endpoint: endpoint, routes: routes, logger: logger)
        metrics.add(RealtimeMetrics(endpoint: endpoint, pubsub: pubsub, server: server, registry: metrics.registry))

        let root: SupervisorRef
        do {
            var children: [ChildSpec] = [
                chat.writer.committerSpec(name: NodeProcessNames.messageWriter),
                chat.claims.writerSpec(name: NodeProcessNames.nicknameClaimWriter),
            ]
            children += jobs.childSpecs(name: NodeProcessNames.jobs)
            children.append(presence.watcherSpec(name: NodeProcessNames.presence))
            children.append(endpoint.socketSupervisorSpec(name: NodeProcessNames.sockets))
            if let heapTrimmer { children.append(heapTrimmer.childSpec(name: NodeProcessNames.heapTrimmer)) }
            if configuration.faultInjection {
                children += FaultInjection.childSpecs(name: NodeProcessNames.faults, isolatedName: NodeProcessNames.isolatedFaults)
            }
            root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: children,
                intensity: Self.rootIntensity, name: NodeProcessNames.root)
        } catch {
            await closeOwnedStore()
            runtime.shutdown()
            throw error
        }
        let idleTimer = runtime.timers.scheduleRepeating(every: configuration.idleCheckInterval) {
            endpoint.tick()
            chat.rooms.purgeIdleAddresses()
        }
        let node = SiteflowNode(configuration: configuration, runtime: runtime, store: store, chat: chat, pubsub: pubsub,
                                endpoint: endpoint, server: server, jobs: jobs, metrics: metrics, dashboard: dashboard, admin: admin,
                                secretKey: secretKey, root: root, idleTimer: idleTimer, ownsStore: ownsStore)
        runtime.onExit(of: root.id) { [weak node] _, reason in
            // Before `stop()`: a child kept crashing and the root gave up (its intensity).
            guard let node, !node.stopping.load(ordering: .relaxed) else { return }
            logger.critical("the node's root supervisor ended; the node no longer repairs itself",
                            metadata: [LogKey.reason: "\(reason)"])
        }
        do {
            try await server.start()
        } catch {
            await node.stop()
            throw error
        }
        logger.info("siteflow node started", metadata: [
            LogKey.node: "\(configuration.nodeName)", LogKey.url: "http://\(configuration.host):\(server.localPort ?? configuration.port)/",
            LogKey.database: "\(configuration.database)",
        ])
        return node
    }

    /// Opens the SQLite store `database` names; a PostgreSQL store is opened by its runner.
    private static func openStore(_ database: DatabaseURL, logger: Logger) async throws(StoreError) -> any Store {
        switch database {
        case .sqlite(let path):
            return try await SQLiteStore(path: path, configuration: StoreConfiguration(logger: logger))
        case .postgres:
            throw StoreError(.openFailed, "a PostgreSQL node's store runs its connections as a Service: "
                + "start the node with SiteflowNode.run(_:gracefulShutdownSignals:onStarted:), or pass the running store")
        }
    }

    /// The port the node listens on.
    public var port: Int? { server.localPort }

    /// The link that opens the dashboard with the admin token (print it for the operator, as
    /// Jupyter does; it signs the browser in and drops the token from the address bar).
    public var dashboardURL: String {
        "http://\(configuration.host):\(port ?? configuration.port)/dashboard/?token=\(admin.token)"
    }

    /// The node's parts as services, in start order: the runtime, the store (if the node opened
    /// it), the supervision tree (the root and what it holds) and the HTTP server. ``run()`` runs them in a `ServiceGroup`,
    /// which stops them in reverse order: the server stops accepting and closes its sockets, the
    /// tree stops (jobs finish, the writer commits what it holds), the store closes, the runtime
    /// stops.
    public var services: [any Service] {
        [NodePartService("runtime") { [runtime] in runtime.shutdown() }]
            + (ownsStore ? [NodePartService("store") { [store] in await store.close() }] : [])
            + [NodePartService("supervision tree") { [self] in await stopTree() }, server]
    }

    /// Runs ``services`` in a `ServiceGroup` until a graceful shutdown is requested (SIGTERM/SIGINT
    /// through the group this node runs in), which stops them in reverse order.
    public func run() async throws {
        try await ServiceGroup(services: services, logger: configuration.logger).run()
    }

    /// Stops the supervision tree: the job engine and the two writers end their processes normally,
    /// so the root (those children being transient) does not restart them; then the root stops
    /// the rest in reverse start order. Idempotent.
    private func stopTree() async {
        stopping.store(true, ordering: .relaxed)
        runtime.cancelTimer(idleTimer)
        await jobs.stop(deadline: configuration.drainTimeout)
        await chat.writer.close()
        await chat.claims.close()
        _ = await root.stop(reason: .shutdown)
    }

    /// Stops the node in order (see the type's description). Idempotent.
    public func stop() async {
        stopping.store(true, ordering: .relaxed)
        await server.shutdown()
        await stopTree()
        if ownsStore { await store.close() }
        runtime.shutdown()
    }
}
