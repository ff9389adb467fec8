import NIOCore
import NIOHTTP1
import SiteflowRealtime

/// The WebSocket upgrade decision for one HTTP connection, shared by the NIO upgrader (which asks
/// the ``SocketEndpoint``) and the HTTP handler (which answers a refused upgrade with the
/// endpoint's status and reason).
final class UpgradeNegotiation: @unchecked Sendable {
    // @unchecked Sendable: created per child channel and touched only on that channel's event
    // loop (NIO calls the upgrader's callbacks and the handlers there).
    private let endpoint: any SocketEndpoint
    private let webSocketPath: String
    private let limits: WebSocketConnection.Limits
    private let registry: ConnectionRegistry
    private let scheduler: LoopWriteScheduler

    /// The refusal of the latest upgrade attempt, for the HTTP handler to send (with these
    /// headers).
    var refusal: (status: Int, reason: String, headers: HTTPHeaders)?
    /// The accepted connection, to be added to the pipeline once the 101 is written.
    private var accepted: WebSocketConnection?

    init(
        endpoint: any SocketEndpoint,
        webSocketPath: String,
        limits: WebSocketConnection.Limits,
        registry: ConnectionRegistry,
        scheduler: LoopWriteScheduler
    ) {
        self.scheduler = scheduler
        self.endpoint = endpoint
        self.webSocketPath = webSocketPath
        self.limits = limits
        self.registry = registry
    }

    /// Checks the opening handshake of an upgrade to the WebSocket path before NIO's upgrader
    /// sees it (see ``WebSocketHandshakeCheck``). Returns `false`, and records a 400 refusal
    /// for the HTTP handler to send, when it is malformed.
    func acceptsHandshake(_ head: HTTPRequestHead) -> Bool {
        guard RequestTarget(uri: head.uri).path == webSocketPath,
            let problem = WebSocketHandshakeCheck.problem(in: head.headers)
        else { return true }
        refusal = (400, problem.reason, problem.headers)
        endpoint.transportStatistics?.increment(.webSocketUpgradesRejected)
        return false
    }

    /// NIO's `shouldUpgrade`: `nil` refuses (the request then reaches the HTTP handler).
    func shouldUpgrade(channel: any NIOCore.Channel, head: HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?> {
        let target = RequestTarget(uri: head.uri)
        guard target.path == webSocketPath, head.method == .GET else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let connection = WebSocketConnection(scheduler: scheduler, limits: limits, registry: registry)
        let subprotocols = head.headers["sec-websocket-protocol"]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
        let request = ConnectionRequest(
            transport: .webSocket,
            path: target.path,
            queryParameters: target.query,
            headers: head.headers.map { (name: $0.name.lowercased(), value: $0.value) },
            subprotocols: subprotocols,
            remoteAddress: channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
        )
        switch endpoint.connect(request, connection: connection) {
        case .accept(let subprotocol, let session):
            connection.attach(session)
            accepted = connection
            var headers = HTTPHeaders()
            if let subprotocol { headers.add(name: "sec-websocket-protocol", value: subprotocol) }
            return channel.eventLoop.makeSucceededFuture(headers)
        case .refuse(let status, let reason):
            refusal = (status, reason, HTTPHeaders())
            return channel.eventLoop.makeSucceededFuture(nil)
        }
    }

    /// NIO's `upgradePipelineHandler`: puts the accepted connection behind the frame codec.
    /// From here on the connection's own handler sees the channel close.
    func upgradePipeline(channel: any NIOCore.Channel) -> EventLoopFuture<Void> {
        guard let connection = accepted else { return channel.eventLoop.makeSucceededVoidFuture() }
        accepted = nil
        return channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(.recvAllocator, value: connection.receiveAllocator)
            try channel.pipeline.syncOperations.addHandler(connection)
        }.flatMapErrorThrowing { error in
            connection.channelClosed()
            throw error
        }
    }

    /// The HTTP connection closed: an accepted connection that never reached the pipeline
    /// (the client left during the handshake) is closed, so its session hears of it.
    func httpConnectionClosed() {
        guard let connection = accepted else { return }
        accepted = nil
        connection.channelClosed()
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
