/// Simple routes served next to the socket endpoint: whatever the application registers (its
/// pages and assets, `/metrics`, `/dashboard`, operator actions), by exact path and method.
///
/// Build it before starting the server; the server copies it, so later changes do not apply.
public struct RouteTable: Sendable {
    /// A route's handler: called on an event-loop thread, so it must not block.
    public typealias Handler = @Sendable (RouteRequest) -> RouteResponse

    private var handlers: [String: Handler] = [:]
    private var postHandlers: [String: Handler] = [:]

    /// An empty table.
    public init() {}

    /// Registers (or replaces) the handler for GET and HEAD requests to `path` (exact match).
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        handlers[path] = handler
    }

    /// Registers (or replaces) the handler for POST requests to `path` (exact match). The body
    /// is not passed on: such routes act on their query parameters.
    public mutating func post(_ path: String, _ handler: @escaping Handler) {
        postHandlers[path] = handler
    }

    /// The handler registered for `path` and `method` ("GET" also serves HEAD), if any.
    func handler(for path: String, method: String) -> Handler? {
        switch method {
        case "GET", "HEAD": return handlers[path]
        case "POST": return postHandlers[path]
        default: return nil
        }
    }

    /// The methods `path` accepts (for 405's Allow header); empty when there is no such route.
    func methods(for path: String) -> [String] {
        (handlers[path] == nil ? [] : ["GET", "HEAD"]) + (postHandlers[path] == nil ? [] : ["POST"])
    }
}
