import NIOCore
import NIOPosix
import SiteflowApp
import SiteflowLoadTest
import SiteflowRuntimeTesting
import Testing

/// Records how a load-tester connection ended.
private final class CloseRecorder: WebSocketClientDelegate {
    let closes = EventQueue<UInt16?>()
    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {}
    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) { closes.push(code) }
}

@Suite("The node's WebSocket transport")
struct WebSocketTransportMetricsTests {
    @Test("a close frame with an invalid code is answered with 1002, and the node counts it on /metrics")
    func invalidCloseCodeCounted() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let recorder = CloseRecorder()
            let connection = try await WebSocketClient.connect(
                host: "127.0.0.1", port: port, target: "/socket/websocket?vsn=2.0.0",
                on: MultiThreadedEventLoopGroup.singleton, delegate: recorder
            ).get()
            connection.close(code: 1005, reason: "")
            #expect(try await recorder.closes.next(within: .seconds(10)) == 1002)
            let metrics = try await httpGet(port: port, path: "/metrics", headers: [("Authorization", "Bearer \(node.admin.token)")])
            #expect(metrics.body.contains("siteflow_socket_events_total{event=\"webSocketInvalidCloseFrames\"} 1"))
        }
    }
}
