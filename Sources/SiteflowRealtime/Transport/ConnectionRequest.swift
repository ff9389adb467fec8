/// What a transport knows about a client that asks to connect, handed to the socket layer so
/// it can authenticate (token, `Origin`) and choose a serializer (`vsn`).
public struct ConnectionRequest: Sendable {
    /// The transport the client used.
    public var transport: TransportKind
    /// The request path without the query, e.g. `/socket/websocket`.
    public var path: String
    /// Query parameters, percent-decoded; a repeated name keeps its last value.
    public var queryParameters: [String: String]
    /// Request headers, names lower-cased, in arrival order.
    public var headers: [(name: String, value: String)]
    /// WebSocket subprotocols the client offered (`Sec-WebSocket-Protocol`), in order; for
    /// long-poll, empty.
    public var subprotocols: [String]
    /// The peer's address as text (`127.0.0.1:51234`), when known.
    public var remoteAddress: String?

    /// Creates a request description; transports fill every field they know.
    public init(
        transport: TransportKind,
        path: String,
        queryParameters: [String: String] = [:],
        headers: [(name: String, value: String)] = [],
        subprotocols: [String] = [],
        remoteAddress: String? = nil
    ) {
        self.transport = transport
        self.path = path
        self.queryParameters = queryParameters
        self.headers = headers
        self.subprotocols = subprotocols
        self.remoteAddress = remoteAddress
    }

    /// The peer's IP address without its port (`127.0.0.1`, `::1`), when known: what limits per
    /// client address are keyed by.
    public var remoteHost: String? {
        guard let address = remoteAddress else { return nil }
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }

    /// The first header with this (case-insensitive) name.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}
