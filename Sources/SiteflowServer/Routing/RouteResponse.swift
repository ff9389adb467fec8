/// The answer of a simple route: a status, a content type and the body bytes.
public struct RouteResponse: Sendable {
    /// The HTTP status code. Default 200.
    public var status: Int
    /// The `Content-Type` header, e.g. `text/plain; version=0.0.4` for Prometheus.
    public var contentType: String
    /// The body.
    public var body: [UInt8]
    /// Extra headers to send (e.g. `cache-control`).
    public var headers: [(name: String, value: String)]

    /// Creates a response.
    public init(status: Int = 200, contentType: String, body: [UInt8], headers: [(name: String, value: String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A response whose body is UTF-8 text.
    public init(status: Int = 200, contentType: String, text: String, headers: [(name: String, value: String)] = []) {
        self.init(status: status, contentType: contentType, body: Array(text.utf8), headers: headers)
    }
}
