import NIOCore
import SiteflowLoadTest
import SiteflowRealtime
@testable import SiteflowServer
import Testing

/// A WebSocket connection refuses frames once a close was requested, over a real socket.
@Suite("WebSocket send after close", .timeLimit(.minutes(1)))
struct WebSocketSendAfterCloseTests {
    @Test("frames sent before close() are written before the close frame; any sent after it are refused as closing, also after the close frame went out")
    func sendAfterCloseIsRefused() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let (client, _) = try await RecordingClient.connect(port: port)
            let (_, transport) = try await endpoint.nextConnection()
            let connection = try #require(transport as? WebSocketConnection)

            #expect(connection.enqueue(.text(ByteBuffer(string: "before"))) == .accepted)
            connection.close(code: .normal, reason: "bye")
            #expect(connection.isClosing)
            #expect(connection.enqueue(.text(ByteBuffer(string: "after"))) == .closing)
            #expect(!connection.send(.binary(ByteBuffer(string: "after, binary"))))

            #expect(try await client.next() == .message(.text(ByteBuffer(string: "before"))))
            #expect(try await client.next() == .closed(code: 1000, reason: "bye"))
            // The close has been carried out (its frame written): still refused.
            #expect(connection.enqueue(.text(ByteBuffer(string: "later"))) == .closing)
            #expect(try await endpoint.nextClose().code == .normal)
            #expect(connection.enqueue(.text(ByteBuffer(string: "after the end"))) == .closing)
        }
    }

    @Test("a second close() after the first is ignored: one close frame, with the first code")
    func secondCloseIgnored() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let (client, _) = try await RecordingClient.connect(port: port)
            let (_, transport) = try await endpoint.nextConnection()
            transport.close(code: .goingAway, reason: "first")
            transport.close(code: .internalError, reason: "second")
            #expect(try await client.next() == .closed(code: 1001, reason: "first"))
        }
    }
}
