import Foundation
import Logging
import Synchronization
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
    /// Who may open the dashboard and read `/metrics`.
    public let admin: AdminAccess
    /// The key that signs the node's tokens.
    public let secretKey: SecretKey
    /// The root supervisor (registered as ``NodeProcessNames/root``): one_for_one over the message
    /// writer's process, the job engine's supervisor and ticker, presence's watcher, and the
    /// sockets' supervisor (see ``NodeProcessNames``).
    public let root: SupervisorRef
    private let idleTimer: TimerHandle
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
                 dashboard: Dashboard, admin: AdminAccess, secretKey: SecretKey, root: SupervisorRef, idleTimer: TimerHandle) {
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
    }

    /// Opens the store (running its migrations), builds every part and starts listening.
    /// - Throws: ``ChatAssetError`` when the chat page's files are not beside the binary;
    ///   ``SecretKeyError`` when the secret key is too short or its file unsafe or unwritable;
    ///   ``StoreError`` when the database cannot be opened (a clear message: which path
    ///   or server, and why); the server's error when the port cannot be bound.
    public static func start(_ configuration: NodeConfiguration) async throws -> SiteflowNode {
        let logger = configuration.logger
        let chatAssets = try ChatAssets.load()
        let runtime = Runtime(configuration: RuntimeConfiguration(logger: logger))
        let store: any Store
        do {
            store = try await StoreFactory.open(configuration.database, configuration: StoreConfiguration(logger: logger))
        } catch {
            runtime.shutdown()
            throw error
        }
        // The key file lives beside the database: loaded once the database is known to open.
        let secretKey: SecretKey
        let sqlitePath: String? = if case .sqlite(let path) = configuration.database { path } else { nil }
        do {
            secretKey = try configuration.secretKey ?? SecretKey.load(
                environment: ProcessInfo.processInfo.environment, file: SecretKey.defaultFile(for: sqlitePath))
        } catch {
            await store.close()
            runtime.shutdown()
            throw error
        }
        logger.info("secret key loaded", metadata: ["from": "\(secretKey.origin)"])
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
        let jobs = JobEngine(store: store, runtime: runtime, workers: workers, configuration: jobConfiguration, logger: logger)

        let metrics = NodeMetrics()
        metrics.add(RuntimeMetrics(runtime: runtime, registry: metrics.registry))
        let dashboard = Dashboard(nodeName: configuration.nodeName)
        dashboard.add(RuntimeDashboard(runtime: runtime))
        dashboard.add(RealtimeDashboard(endpoint: endpoint, pubsub: pubsub, jobs: jobs))

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
        routes.get("/dashboard/data") { request in
            guard admin.authorizesAdmin(request) else { return admin.unauthorized("/dashboard/data") }
            return RouteResponse(contentType: Dashboard.documentContentType, body: dashboard.documentJSON(), headers: [(name: "cache-control", value: "no-store")])
        }
        let server = SiteflowHTTPServer(
            configuration: ServerConfiguration(
                host: configuration.host, port: configuration.port, maxFrameSize: configuration.socket.maxFrameBytes,
                pinsEventLoops: configuration.pinsEventLoops, maxConnections: configuration.maxConnections,
                maxConnectionsPerAddress: configuration.maxConnectionsPerAddress, maxLongPollSessions: configuration.maxLongPollSessions),
            endpoint: endpoint, routes: routes, logger: logger)
        metrics.add(RealtimeMetrics(endpoint: endpoint, pubsub: pubsub, server: server, registry: metrics.registry))

        let root: SupervisorRef
        do {
            root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [chat.writer.committerSpec(name: NodeProcessNames.messageWriter)]
                    + jobs.childSpecs(name: NodeProcessNames.jobs)
                    + [presence.watcherSpec(name: NodeProcessNames.presence)]
                    + [endpoint.socketSupervisorSpec(name: NodeProcessNames.sockets)],
                intensity: Self.rootIntensity, name: NodeProcessNames.root)
        } catch {
            await store.close()
            runtime.shutdown()
            throw error
        }
        let idleTimer = runtime.timers.scheduleRepeating(every: configuration.idleCheckInterval) {
            endpoint.tick()
            chat.rooms.purgeIdleAddresses()
        }
        let node = SiteflowNode(configuration: configuration, runtime: runtime, store: store, chat: chat, pubsub: pubsub,
                                endpoint: endpoint, server: server, jobs: jobs, metrics: metrics, dashboard: dashboard, admin: admin,
                                secretKey: secretKey, root: root, idleTimer: idleTimer)
        runtime.onExit(of: root.id) { [weak node] _, reason in
            // Before `stop()`: a child kept crashing and the root gave up (its intensity).
            guard let node, !node.stopping.load(ordering: .relaxed) else { return }
            logger.critical("the node's root supervisor ended; the node no longer repairs itself",
                            metadata: ["reason": "\(reason)"])
        }
        do {
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

    /// The link that opens the dashboard with the admin token (print it for the operator, as
    /// Jupyter does; it signs the browser in and drops the token from the address bar).
    public var dashboardURL: String {
        "http://\(configuration.host):\(port ?? configuration.port)/dashboard/?token=\(admin.token)"
    }

    /// The node's parts as services, in start order: the runtime, the store, the supervision tree
    /// (the root and what it holds) and the HTTP server. ``run()`` runs them in a `ServiceGroup`,
    /// which stops them in reverse order: the server stops accepting and closes its sockets, the
    /// tree stops (jobs finish, the writer commits what it holds), the store closes, the runtime
    /// stops.
    public var services: [any Service] {
        [
            NodePartService("runtime") { [runtime] in runtime.shutdown() },
            NodePartService("store") { [store] in await store.close() },
            NodePartService("supervision tree") { [self] in await stopTree() },
            server,
        ]
    }

    /// Runs ``services`` in a `ServiceGroup` until a graceful shutdown is requested (SIGTERM/SIGINT
    /// through the group this node runs in), which stops them in reverse order.
    public func run() async throws {
        try await ServiceGroup(services: services, logger: configuration.logger).run()
    }

    /// Stops the supervision tree: the job engine and the writer end their processes normally,
    /// so the root (those children being transient) does not restart them; then the root stops
    /// the rest in reverse start order. Idempotent.
    private func stopTree() async {
        stopping.store(true, ordering: .relaxed)
        runtime.cancelTimer(idleTimer)
        await jobs.stop()
        await chat.writer.close()
        _ = await root.stop(reason: .shutdown)
    }

    /// Stops the node in order (see the type's description). Idempotent.
    public func stop() async {
        stopping.store(true, ordering: .relaxed)
        await server.shutdown()
        await stopTree()
        await store.close()
        runtime.shutdown()
    }
}
