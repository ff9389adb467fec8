import NIOCore
import NIOWebSocket
import SiteflowLoadTest
import SiteflowRealtime
import SiteflowServer
import Testing

@Suite("WebSocket transport", .timeLimit(.minutes(1)))
struct WebSocketTransportTests {
    @Test("an upgraded socket hands text and binary frames to the session and writes its frames back")
    func echoTextAndBinary() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port, target: "/socket/websocket?vsn=2.0.0&token=abc")
            let (request, _) = try await endpoint.nextConnection()
            #expect(request.transport == .webSocket)
            #expect(request.path == "/socket/websocket")
            #expect(request.queryParameters == ["vsn": "2.0.0", "token": "abc"])

            connection.sendText("[null,\"1\",\"phoenix\",\"heartbeat\",{}]")
            #expect(try await endpoint.nextFrame() == .text(ByteBuffer(string: "[null,\"1\",\"phoenix\",\"heartbeat\",{}]")))
            #expect(try await client.next() == .message(.text(ByteBuffer(string: "[null,\"1\",\"phoenix\",\"heartbeat\",{}]"))))

            connection.sendBinary(ByteBuffer(bytes: [0, 1, 2, 255]))
            #expect(try await endpoint.nextFrame() == .binary(ByteBuffer(bytes: [0, 1, 2, 255])))
            #expect(try await client.next() == .message(.binary(ByteBuffer(bytes: [0, 1, 2, 255]))))

            // Large enough for the 64-bit length form both ways, and several reads.
            let large = ByteBuffer(repeating: 42, count: 200_000)
            connection.sendBinary(large)
            #expect(try await endpoint.nextFrame() == .binary(large))
            #expect(try await client.next() == .message(.binary(large)))
        }
    }

    @Test("a fragmented message reaches the session as one frame")
    func fragmentedMessage() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let (_, connection) = try await RecordingClient.connect(port: port)
            connection.send(WebSocketFrame(fin: false, opcode: .text, data: ByteBuffer(string: "hel")))
            connection.send(WebSocketFrame(fin: false, opcode: .continuation, data: ByteBuffer(string: "lo ")))
            connection.ping(ByteBuffer(string: "between fragments"))
            connection.send(WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(string: "wörld")))
            #expect(try await endpoint.nextFrame() == .text(ByteBuffer(string: "hello wörld")))
        }
    }

    @Test("a ping is answered with a pong carrying the same bytes")
    func pingPong() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.ping(ByteBuffer(string: "are you there"))
            #expect(try await client.next() == .message(.pong(ByteBuffer(string: "are you there"))))
        }
    }

    @Test("a frame above the limit closes the socket with 1009")
    func oversizedFrame() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint, configuration: ServerConfiguration(maxFrameSize: 1024)) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.sendText(String(repeating: "x", count: 2000))
            #expect(try await client.next() == .closed(code: 1009, reason: "frame larger than 1024 bytes"))
            let close = try await endpoint.nextClose()
            #expect(close.code == .messageTooBig)
        }
    }

    @Test("fragments adding up to more than the limit close the socket with 1009")
    func oversizedFragmentedMessage() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint, configuration: ServerConfiguration(maxFrameSize: 1024)) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.send(WebSocketFrame(fin: false, opcode: .binary, data: ByteBuffer(repeating: 1, count: 800)))
            connection.send(WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(repeating: 1, count: 800)))
            #expect(try await client.next() == .closed(code: 1009, reason: "message larger than 1024 bytes"))
            #expect(try await endpoint.nextClose().code == .messageTooBig)
        }
    }

    @Test("a text frame that is not UTF-8 closes the socket with 1007 and never reaches the session")
    func invalidUTF8() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.sendText(ByteBuffer(bytes: [0x68, 0x69, 0xC3, 0x28]))
            #expect(try await client.next() == .closed(code: 1007, reason: "text frame is not valid UTF-8"))
            _ = try await endpoint.nextConnection()
            #expect(try await endpoint.next().isClose(code: .invalidPayload))
        }
    }

    @Test("an unmasked client frame is a protocol error (1002)")
    func unmaskedFrame() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.send(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "hi")), masked: false)
            #expect(try await client.next() == .closed(code: 1002, reason: "client frames must be masked"))
        }
    }

    @Test("a refused upgrade is answered with the endpoint's status and reason")
    func refusedUpgrade() async throws {
        let endpoint = RecordingEndpoint(.refuse(status: 403, reason: "invalid token"))
        try await withServer(endpoint) { _, port in
            let error = await #expect(throws: WebSocketClientError.self) {
                _ = try await RecordingClient.connect(port: port)
            }
            #expect(error == .refused(status: 403, reason: "invalid token"))
        }
    }

    @Test("the subprotocol the endpoint chooses is echoed in the handshake")
    func subprotocolEcho() async throws {
        let endpoint = RecordingEndpoint(.echo) { offered in offered.contains("phoenix") ? "phoenix" : nil }
        try await withServer(endpoint) { _, port in
            let (_, connection) = try await RecordingClient.connect(
                port: port,
                subprotocols: ["phoenix", "base64url.bearer.phx.c2VjcmV0"]
            )
            #expect(connection.subprotocol == "phoenix")
            let (request, _) = try await endpoint.nextConnection()
            #expect(request.subprotocols == ["phoenix", "base64url.bearer.phx.c2VjcmV0"])
        }
    }

    @Test("send returns false once the bounded outbound queue is full")
    func outboundQueueFull() async throws {
        let endpoint = RecordingEndpoint(.flood(count: 10))
        try await withServer(endpoint, configuration: ServerConfiguration(outboundQueueLimit: 4)) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.sendText("go")
            // The session sends 10 frames within one event-loop turn: only 4 fit in the queue.
            #expect(try await endpoint.nextFrame() == .text(ByteBuffer(string: "accepted 4")))
            for index in 0..<4 {
                #expect(try await client.next() == .message(.text(ByteBuffer(string: "frame \(index)"))))
            }
            // The queue drains, so sending works again.
            connection.sendText("again")
            #expect(try await endpoint.nextFrame() == .text(ByteBuffer(string: "accepted 4")))
        }
    }

    @Test("a client that stops reading makes the server hold its frames back, not lose them: once it reads again, every accepted frame arrives, in order")
    func slowReader() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint, configuration: ServerConfiguration(outboundQueueLimit: 16)) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            let (_, transport) = try await endpoint.nextConnection()
            try await connection.setReading(false).get()
            let filler = String(repeating: "x", count: 65_536)
            // Megabytes of 64 KiB frames are more than the kernel's socket buffers hold, so the
            // server's channel turns unwritable and the rest waits in the connection's backlog,
            // until the bounded queue refuses for good (a refusal that outlasts many turns of the
            // server's event loop; one that clears was only the loop not having drained yet).
            var accepted = 0
            var refusalsInARow = 0
            while accepted < 2_000, refusalsInARow < 1_000 {
                if transport.send(.text(ByteBuffer(string: "\(accepted) \(filler)"))) {
                    accepted += 1
                    refusalsInARow = 0
                } else {
                    refusalsInARow += 1
                    await Task.yield()
                }
            }
            #expect(accepted < 2_000, "128 MB went out to a client that does not read")
            try await connection.setReading(true).get()
            for index in 0..<accepted {
                guard case .message(.text(let bytes)) = try await client.next() else {
                    Issue.record("expected frame \(index)")
                    return
                }
                #expect(bytes.readableBytes == "\(index) ".utf8.count + filler.utf8.count)
                #expect(String(buffer: bytes).hasPrefix("\(index) "))
            }
        }
    }

    @Test("frames sent from many threads at once all arrive, each sender's in order")
    func sendFromManyThreads() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let (client, _) = try await RecordingClient.connect(port: port)
            let (_, transport) = try await endpoint.nextConnection()
            let senders = 4
            let perSender = 100
            await withTaskGroup(of: Void.self) { group in
                for sender in 0..<senders {
                    group.addTask {
                        for index in 0..<perSender {
                            #expect(transport.send(.text(ByteBuffer(string: "\(sender) \(index)"))))
                        }
                    }
                }
            }
            var next = [Int](repeating: 0, count: senders)
            for _ in 0..<(senders * perSender) {
                guard case .message(.text(let bytes)) = try await client.next() else {
                    Issue.record("expected a text message")
                    return
                }
                let parts = String(buffer: bytes).split(separator: " ").compactMap { Int($0) }
                #expect(parts.count == 2)
                guard parts.count == 2 else { return }
                #expect(parts[1] == next[parts[0]], "sender \(parts[0]) out of order")
                next[parts[0]] = parts[1] + 1
            }
            #expect(next == [Int](repeating: perSender, count: senders))
        }
    }

    @Test("a close from the server runs the handshake and tells the session once")
    func serverSideClose() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let (client, _) = try await RecordingClient.connect(port: port)
            let (_, transport) = try await endpoint.nextConnection()
            transport.close(code: .normal, reason: "bye")
            transport.close(code: .internalError, reason: "ignored: already closing")
            #expect(try await client.next() == .closed(code: 1000, reason: "bye"))
            let close = try await endpoint.nextClose()
            #expect(close.code == .normal)
            #expect(close.reason == "bye")
            #expect(transport.send(.text(ByteBuffer(string: "too late"))) == false)
        }
        #expect(endpoint.closeCounts == [1])
    }

    @Test("a close from the client is answered and tells the session once, with the client's code")
    func clientSideClose() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.close(code: 4001, reason: "leaving")
            let close = try await endpoint.nextClose()
            #expect(close.code == TransportCloseCode(rawValue: 4001))
            #expect(close.reason == "leaving")
            #expect(try await client.next() == .closed(code: 4001, reason: ""))
        }
        #expect(endpoint.closeCounts == [1])
    }

    @Test("a dropped TCP connection tells the session once, without a code")
    func droppedConnection() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let (_, connection) = try await RecordingClient.connect(port: port)
            _ = try await endpoint.nextConnection()
            connection.disconnect()
            let close = try await endpoint.nextClose()
            #expect(close.code == nil)
        }
        #expect(endpoint.closeCounts == [1])
    }

    @Test("graceful shutdown closes every WebSocket with 1001")
    func gracefulShutdown() async throws {
        let endpoint = RecordingEndpoint(.echo)
        let server = SiteflowHTTPServer(configuration: ServerConfiguration(port: 0, eventLoopThreads: 2), endpoint: endpoint)
        try await server.start()
        let port = try #require(server.localPort)
        let (first, _) = try await RecordingClient.connect(port: port)
        let (second, _) = try await RecordingClient.connect(port: port)
        // The client sees the 101 before the server has registered the upgraded connection.
        for _ in 0..<10_000 where server.connectionCount < 2 { await Task.yield() }
        #expect(server.connectionCount == 2)
        await server.shutdown()
        #expect(try await first.next() == .closed(code: 1001, reason: "server shutting down"))
        #expect(try await second.next() == .closed(code: 1001, reason: "server shutting down"))
        #expect(endpoint.closeCounts == [1, 1])
        await #expect(throws: (any Error).self) {
            _ = try await RecordingClient.connect(port: port)
        }
    }
}

extension EndpointEvent {
    func isClose(code: TransportCloseCode) -> Bool {
        if case .closed(let actual, _) = self { return actual == code }
        return false
    }
}
