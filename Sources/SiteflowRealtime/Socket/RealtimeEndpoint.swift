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
    private let clock: any SocketClock
    private let sockets = Mutex<[ProcessID: PID<SocketMessage>]>([:])

    /// Creates an endpoint; `clock` drives idle timeouts and rate limits (inject one in tests).
    public init(runtime: Runtime, definition: SocketDefinition, pubsub: PubSub,
                configuration: SocketConfiguration = SocketConfiguration(),
                statistics: SocketStatistics = SocketStatistics(),
                clock: any SocketClock = ContinuousSocketClock()) {
        self.runtime = runtime
        self.definition = definition
        self.pubsub = pubsub
        self.configuration = configuration
        self.statistics = statistics
        self.clock = clock
    }

    /// Decides on a connection (see the type's description). Never blocks.
    public func connect(_ request: ConnectionRequest, connection: any TransportConnection) -> ConnectionDecision {
        guard configuration.origins.allows(request.header("origin")) else {
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
        let output = SocketOutput(connection: connection, serializer: serializer, statistics: statistics)
        let process = SocketProcess(output: output, router: definition.router, assigns: assigns, pubsub: pubsub,
                                    configuration: configuration, clock: clock)
        let pid: PID<SocketMessage>
        do {
            pid = try runtime.spawn(process, options: SpawnOptions(trapExits: true))
        } catch {
            statistics.increment(.connectionsRefused)
            return .refuse(status: 503, reason: "server at capacity")
        }
        sockets.withLock { $0[pid.id] = pid }
        runtime.onExit(of: pid.id) { [weak self] id, _ in
            _ = self?.sockets.withLock { $0.removeValue(forKey: id) }
        }
        statistics.increment(.connectionsAccepted)
        let subprotocol = request.subprotocols.contains(AuthToken.answerSubprotocol) ? AuthToken.answerSubprotocol : nil
        return .accept(subprotocol: subprotocol, session: SocketSession(socket: pid))
    }

    /// Sockets alive now.
    public var socketCount: Int { sockets.withLock { $0.count } }

    /// Asks every socket to check its idle timeout against the clock. Call it periodically (the
    /// server does, e.g. every 5 s); tests call it after advancing their clock.
    public func tick() {
        for pid in sockets.withLock({ Array($0.values) }) { pid.send(.tick) }
    }

    /// Closes every socket with `code` (e.g. ``TransportCloseCode/goingAway`` at node shutdown).
    public func closeAll(code: TransportCloseCode = .goingAway, reason: String = "server shutting down") {
        for pid in sockets.withLock({ Array($0.values) }) { pid.send(.close(code: code, reason: reason)) }
    }
}
