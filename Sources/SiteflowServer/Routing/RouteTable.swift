/// Simple GET routes served next to the socket endpoint: the chat page and its assets by
/// default, and whatever the application registers (`/metrics`, `/dashboard`).
///
/// Build it before starting the server; the server copies it, so later changes do not apply.
public struct RouteTable: Sendable {
    /// A route's handler: called on an event-loop thread, so it must not block.
    public typealias Handler = @Sendable (RouteRequest) -> RouteResponse

    private var handlers: [String: Handler] = [:]

    /// An empty table.
    public init() {}

    /// A table serving the bundled chat application: `/` (the page), `/assets/chat.js`,
    /// `/assets/chat.css`.
    public static var chatApplication: RouteTable {
        var table = RouteTable()
        for asset in StaticAsset.chat {
            table.get(asset.path) { _ in asset.response }
        }
        return table
    }

    /// Registers (or replaces) the handler for GET and HEAD requests to `path` (exact match).
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        handlers[path] = handler
    }

    /// The handler registered for `path`, if any.
    func handler(for path: String) -> Handler? {
        handlers[path]
    }
}
