/// Simple GET routes served next to the socket endpoint: whatever the application registers
/// (its pages and assets, `/metrics`, `/dashboard`).
///
/// Build it before starting the server; the server copies it, so later changes do not apply.
public struct RouteTable: Sendable {
    /// A route's handler: called on an event-loop thread, so it must not block.
    public typealias Handler = @Sendable (RouteRequest) -> RouteResponse

    private var handlers: [String: Handler] = [:]

    /// An empty table.
    public init() {}

    /// Registers (or replaces) the handler for GET and HEAD requests to `path` (exact match).
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        handlers[path] = handler
    }

    /// The handler registered for `path`, if any.
    func handler(for path: String) -> Handler? {
        handlers[path]
    }
}
