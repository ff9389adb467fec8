/// What a simple GET route sees of its request.
public struct RouteRequest: Sendable {
    /// The path without the query, e.g. `/metrics`.
    public var path: String
    /// Query parameters, percent-decoded; a repeated name keeps its last value.
    public var queryParameters: [String: String]
    /// Request headers, names lower-cased, in arrival order.
    public var headers: [(name: String, value: String)]

    /// Creates a request description.
    public init(path: String, queryParameters: [String: String] = [:], headers: [(name: String, value: String)] = []) {
        self.path = path
        self.queryParameters = queryParameters
        self.headers = headers
    }
}
