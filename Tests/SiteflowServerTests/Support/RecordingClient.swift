import NIOCore
import NIOPosix
import SiteflowLoadTest
import SiteflowRuntimeTesting

/// What a ``RecordingClient`` saw.
enum ClientEvent: Sendable, Equatable {
    case message(WebSocketClientMessage)
    case closed(code: UInt16?, reason: String)
}

/// A real WebSocket client (the load tester's) whose events the specs await.
final class RecordingClient: WebSocketClientDelegate {
    let events = EventQueue<ClientEvent>()

    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {
        events.push(.message(message))
    }

    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {
        events.push(.closed(code: code, reason: reason))
    }

    func next() async throws -> ClientEvent {
        try await events.next(within: .seconds(20))
    }

    /// Connects to `server`'s WebSocket endpoint.
    static func connect(
        port: Int,
        target: String = "/socket/websocket?vsn=2.0.0",
        subprotocols: [String] = []
    ) async throws -> (RecordingClient, WebSocketClientConnection) {
        let client = RecordingClient()
        let connection = try await WebSocketClient.connect(
            host: "127.0.0.1",
            port: port,
            target: target,
            subprotocols: subprotocols,
            on: TestClientGroup.shared,
            delegate: client
        ).get()
        return (client, connection)
    }
}
