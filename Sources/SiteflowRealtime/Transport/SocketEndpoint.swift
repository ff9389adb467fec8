/// The socket layer as a transport sees it: one endpoint (e.g. `/socket`) that decides whether a
/// client may connect and, if so, starts the socket that will serve it.
public protocol SocketEndpoint: Sendable {
    /// Decides on a new connection. `connection` is where the socket writes its frames once
    /// accepted. Called once per connection attempt; must not block.
    func connect(_ request: ConnectionRequest, connection: any TransportConnection) -> ConnectionDecision

    /// Whether a browser page of `origin` (the `Origin` header; nil when absent), addressed to
    /// `requestHost` (the `Host` header), may use the endpoint: transports ask it for requests
    /// that are not connection attempts (long-poll polls and posts, CORS preflights), and answer
    /// CORS only for origins it allows. Default: every origin.
    func allowsOrigin(_ origin: String?, requestHost: String?) -> Bool

    /// Where the transports count their own events (ping floods, incomplete frames, paused
    /// reads, rejected upgrades), so that they appear beside the socket layer's; `nil` (the
    /// default) when the endpoint keeps no counters.
    var transportStatistics: SocketStatistics? { get }
}

extension SocketEndpoint {
    /// Allows every origin.
    public func allowsOrigin(_ origin: String?, requestHost: String?) -> Bool { true }

    /// Endpoints keep no counters unless they say so.
    public var transportStatistics: SocketStatistics? { nil }
}

/// The answer to a connection attempt.
public enum ConnectionDecision: Sendable {
    /// Accept; `subprotocol` is echoed in the WebSocket handshake (Phoenix's `"phoenix"` when
    /// the client sent an auth-token subprotocol), and `session` receives the client's frames.
    case accept(subprotocol: String?, session: any TransportSession)
    /// Refuse with an HTTP status (403 for failed authentication or a bad `Origin`) and a reason
    /// for the response body and the log.
    case refuse(status: Int, reason: String)
}
