public import SiteflowRuntime
import Synchronization

/// The socket layer's ``SocketEndpoint``: checks the `Origin`, picks the serializer by `vsn`,
/// reads the auth token (subprotocol or long-poll header), asks the user's
/// ``SocketDefinition/connect`` and, if accepted, starts a ``SocketProcess`` for the connection.
///
/// Refusals: a bad `Origin` or a refusing `connect` → 403; an unknown `vsn` → 400; a runtime at
/// its process limit → 503. Each is counted in ``statistics``.
public final class RealtimeEndpoint: SocketEndpoint {
    /// The node's runtime.
    public let runtime: Runtime
    /// The user's socket.
    public let definition: SocketDefinition
    /// The PubSub channels subscribe to.
    public let pubsub: PubSub
    /// Settings for every socket of this endpoint.
    public let configuration: SocketConfiguration
    /// Counters for this endpoint's sockets.
    public let statistics: SocketStatistics
    private let environment: SocketEnvironment
    private let sockets = SocketRegistry()
    /// The supervisor new socket processes are placed under (see ``socketSupervisorSpec(id:name:)``).
    private let socketSupervisor = Mutex<DynamicSupervisorRef?>(nil)

    /// Creates an endpoint; `clock` drives idle timeouts and rate limits (inject one in tests).
    public init(runtime: Runtime, definition: SocketDefinition, pubsub: PubSub,
                configuration: SocketConfiguration = SocketConfiguration(),
                statistics: SocketStatistics = SocketStatistics(),
                clock: any RuntimeClock = SystemClock()) {
        self.runtime = runtime
        self.definition = definition
        self.pubsub = pubsub
        self.configuration = configuration
        self.statistics = statistics
        self.environment = SocketEnvironment(router: definition.router, pubsub: pubsub, configuration: configuration, clock: clock)
    }

    /// Whether the configuration's ``OriginPolicy`` allows `origin` for a request to `requestHost`.
    public func allowsOrigin(_ origin: String?, requestHost: String?) -> Bool {
        configuration.origins.allows(origin, requestHost: requestHost)
    }

    /// Decides on a connection (see the type's description). Never blocks.
    public func connect(_ request: ConnectionRequest, connection: any TransportConnection) -> ConnectionDecision {
        guard allowsOrigin(request.header("origin"), requestHost: request.header("host")) else {
            statistics.increment(.originRefused)
            return .refuse(status: 403, reason: "origin not allowed")
        }
        guard let serializer = PhoenixSerializer(vsn: request.queryParameters["vsn"]) else {
            statistics.increment(.versionRefused)
            return .refuse(status: 400, reason: "unsupported protocol version")
        }
        var params = request.queryParameters
        params["vsn"] = nil
        let connectRequest = SocketConnectRequest(params: params, authToken: AuthToken.token(in: request), connectInfo: request)
        let assigns: Assigns
        switch definition.connect(connectRequest) {
        case .refuse(let reason):
            statistics.increment(.connectionsRefused)
            return .refuse(status: 403, reason: reason)
        case .accept(let accepted):
            assigns = accepted
        }
        let output = SocketOutput(connection: connection, serializer: serializer, statistics: statistics,
                                  registry: sockets, now: environment.clock.now())
        let process = SocketProcess(output: output, assigns: assigns, environment: environment)
        let supervisor = socketSupervisor.withLock { $0 }
        let pid: PID<SocketMessage>
        do {
            pid = try runtime.spawn(process, options: SpawnOptions(trapExits: true, parent: supervisor?.id))
        } catch {
            statistics.increment(.connectionsRefused)
            return .refuse(status: 503, reason: "server at capacity")
        }
        sockets.add(pid, output: output)
        if let supervisor { adopt(pid, into: supervisor) }
        statistics.increment(.connectionsAccepted)
        let subprotocol = request.subprotocols.contains(AuthToken.answerSubprotocol) ? AuthToken.answerSubprotocol : nil
        return .accept(subprotocol: subprotocol, session: SocketSession(socket: pid, output: output))
    }

    /// The transports count their events in ``statistics`` too.
    public var transportStatistics: SocketStatistics? { statistics }

    /// The child specification of the supervisor every socket process is a child of (a
    /// ``DynamicSupervisor``, kind `supervisor`, registered under `name`): its children are the
    /// open sockets, and the node's tree shows each socket, with its channels, beneath it. When
    /// this supervisor is restarted, new sockets go under the new one.
    ///
    /// Sockets are `temporary` children: never restarted — a socket whose process ended has lost
    /// its connection, and its client reconnects (the idle sweep, ``tick()``, closes the
    /// connection of a socket process that ended). A socket's crash concerns that socket alone;
    /// the supervisor's end (killed, or stopped with the node) ends every socket, closing its
    /// connection.
    ///
    /// ``connect(_:connection:)`` never blocks, and starting a child is a call: so a socket
    /// process is spawned at once with the supervisor as its parent, then adopted as a child (the
    /// supervisor links to it) shortly after. A socket that ends before it
    /// is adopted is simply never counted.
    public func socketSupervisorSpec(id: String = "sockets", name: String? = nil) -> ChildSpec {
        ChildSpec(id: id, restart: .permanent, type: .supervisor) { [self] context in
            let started = try await DynamicSupervisor.start(
                runtime: context.runtime, intensity: RestartIntensity(maxRestarts: 3, period: .seconds(5)),
                options: context.spawnOptions(basedOn: SpawnOptions(name: name)))
            socketSupervisor.withLock { $0 = started }
            return started.id
        }
    }

    /// The supervisor sockets are children of now (the latest start of
    /// ``socketSupervisorSpec(id:name:)``), if any.
    public var socketSupervisorRef: DynamicSupervisorRef? { socketSupervisor.withLock { $0 } }

    /// Makes the running socket `pid` a `temporary` child of `supervisor` (asynchronously: starting
    /// a child is a call). If the supervisor has ended meanwhile, the socket is closed (its client
    /// reconnects, under the supervisor's successor): no socket outlives its supervisor.
    private func adopt(_ pid: PID<SocketMessage>, into supervisor: DynamicSupervisorRef) {
        let socket = pid.id
        let spec = ChildSpec(id: Self.socketChildID, restart: .temporary, type: .worker) { _ in socket }
        Task {
            do {
                try await supervisor.startChild(spec)
            } catch {
                pid.send(.close(code: .tryAgainLater, reason: "socket supervisor restarting"))
            }
        }
    }

    /// The child id of every socket under the sockets' supervisor.
    public static let socketChildID = "socket"

    /// Sockets open now (a socket counts until its connection has closed).
    public var socketCount: Int { sockets.count }

    /// The idle sweep; call it periodically (the node does, e.g. every 5 s; tests call it after
    /// advancing their clock). A socket with no inbound frame for its idle timeout is asked to
    /// check it (its state machine decides and closes it); the connection of a socket process
    /// that ended without closing it (e.g. killed) is closed here. Busy sockets get no message.
    public func tick() {
        let now = environment.clock.now()
        let idleTimeout = configuration.limits.idleTimeout
        for entry in sockets.snapshot() {
            if !entry.socket.isAlive {
                entry.output.close(code: .internalError, reason: "socket process ended")
                continue
            }
            let last = entry.output.lastInboundAt
            guard now >= last, Duration.nanoseconds(Int64(clamping: now - last)) >= idleTimeout else { continue }
            entry.socket.send(.tick)
        }
    }

    /// Closes every socket with `code` (e.g. ``TransportCloseCode/goingAway`` at node shutdown).
    public func closeAll(code: TransportCloseCode = .goingAway, reason: String = "server shutting down") {
        for entry in sockets.snapshot() { entry.socket.send(.close(code: code, reason: reason)) }
    }
}
