/// The user's socket: who may connect (and with which assigns) and which channels serve which
/// topics — Phoenix's `use Phoenix.Socket` module.
///
/// ```swift
/// var router = ChannelRouter()
/// router.channel("room:*") { RoomChannel() }
/// let socket = SocketDefinition(router: router) { request in
///     guard let token = request.params["token"] ?? request.authToken,
///           let user = try? signer.verify(token, maxAge: .seconds(86_400)) else { return .refuse("unauthorized") }
///     return .accept(Assigns(["user": user]))
/// }
/// ```
public struct SocketDefinition: Sendable {
    /// Topic routes.
    public var router: ChannelRouter
    /// Decides on each connection; must not block.
    public var connect: @Sendable (SocketConnectRequest) -> SocketConnectResult

    /// Creates a socket definition; without `connect`, every connection is accepted with no assigns.
    public init(router: ChannelRouter,
                connect: @escaping @Sendable (SocketConnectRequest) -> SocketConnectResult = { _ in .accept(Assigns()) }) {
        self.router = router
        self.connect = connect
    }
}

/// What `connect` learns about a connection.
public struct SocketConnectRequest: Sendable {
    /// The query parameters without `vsn`.
    public var params: [String: String]
    /// The auth token the client sent as a WebSocket subprotocol (`base64url.bearer.phx.…`) or,
    /// for long-poll, in `X-Phoenix-AuthToken`, decoded.
    public var authToken: String?
    /// Everything the transport knows (headers, peer address, transport kind).
    public var connectInfo: ConnectionRequest
}

/// The answer of `connect`.
public enum SocketConnectResult: Sendable {
    /// Accept the connection with these socket assigns (every channel starts with a copy).
    case accept(Assigns)
    /// Refuse it (HTTP 403) with a reason for the log.
    case refuse(String)
}
