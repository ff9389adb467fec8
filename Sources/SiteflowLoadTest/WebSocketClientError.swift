/// Why a WebSocket client could not connect.
public struct WebSocketClientError: Error, Hashable, CustomStringConvertible {
    /// The server answered the upgrade with this HTTP status instead of 101.
    public var status: Int?
    /// The response body (the server's reason), or a description of the failure.
    public var reason: String

    /// The server refused the upgrade.
    public static func refused(status: Int, reason: String) -> WebSocketClientError {
        WebSocketClientError(status: status, reason: reason)
    }

    /// Describes the refusal.
    public var description: String {
        if let status { return "upgrade refused with HTTP \(status): \(reason)" }
        return reason
    }
}
