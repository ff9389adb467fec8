import NIOCore
import NIOPosix
import SiteflowLoadTest
import Testing

/// The load tester's WebSocket client against a server that takes the TCP connection and never
/// answers the upgrade (what a client sees when a full accept queue dropped its connection).
@Suite("Load-test client: the upgrade has a deadline", .timeLimit(.minutes(1)))
struct WebSocketClientUpgradeTimeoutTests {
    /// Accepts connections and reads what they send, never answering.
    final class Silent: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
    }

    /// Counts closes; never handles a message.
    final class NoDelegate: WebSocketClientDelegate, Sendable {
        func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {}
        func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {}
    }

    @Test("a server that never answers the upgrade fails the connect once the upgrade timeout passes, and the connection is closed")
    func silentServer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Silent()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        await #expect(throws: (any Error).self) {
            _ = try await WebSocketClient.connect(
                host: "127.0.0.1", port: port, target: "/socket/websocket?vsn=2.0.0",
                upgradeTimeout: .milliseconds(200), on: group, delegate: NoDelegate()).get()
        }
        try await server.close()
        try await group.shutdownGracefully()
    }
}
