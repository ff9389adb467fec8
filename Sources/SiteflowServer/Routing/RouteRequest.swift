/// What a simple route sees of its request.
public struct RouteRequest: Sendable {
    /// The method, e.g. "GET" or "POST".
    public var method: String = "GET"
    /// The client's IP address (no port), when known.
    public var remoteAddress: String?
    /// The path without the query, e.g. `/metrics`.
    public var path: String
    /// Query parameters, percent-decoded; a repeated name keeps its last value.
    public var queryParameters: [String: String]
    /// Request headers, names lower-cased, in arrival order.
    public var headers: [(name: String, value: String)]

    /// Creates a request description.
    public init(
        path: String, queryParameters: [String: String] = [:], headers: [(name: String, value: String)] = [],
        method: String = "GET", remoteAddress: String? = nil
    ) {
        self.method = method
        self.remoteAddress = remoteAddress
        self.path = path
        self.queryParameters = queryParameters
        self.headers = headers
    }

    /// Whether the request came from this machine (127.0.0.0/8 or ::1).
    public var isFromLoopback: Bool {
        guard let address = remoteAddress else { return false }
        return address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }
}
