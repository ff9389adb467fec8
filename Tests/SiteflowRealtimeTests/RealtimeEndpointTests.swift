import NIOCore
import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Endpoint: connection decisions")
struct RealtimeEndpointTests {
    final class NullConnection: TransportConnection {
        func send(_ frame: TransportFrame) -> Bool { true }
        var isClosing: Bool { false }
        func close(code: TransportCloseCode, reason: String) {}
    }

    func decide(_ endpoint: RealtimeEndpoint, _ request: ConnectionRequest) -> (status: Int?, subprotocol: String?) {
        switch endpoint.connect(request, connection: NullConnection()) {
        case .accept(let subprotocol, _): return (nil, subprotocol)
        case .refuse(let status, _): return (status, nil)
        }
    }

    @Test("a token in the subprotocol is verified by connect; the server answers subprotocol phoenix")
    func tokenSubprotocol() {
        let time = ManualClock()
        let signer = TokenSigner(secret: Array("endpoint-secret-endpoint-secret!".utf8), salt: "user socket", clock: time)
        let harness = Harness.make { request in
            guard let token = request.authToken ?? request.params["token"],
                let user = try? signer.verify(token, maxAge: .seconds(3600))
            else { return .refuse("unauthorized") }
            return .accept(Assigns(["user": user]))
        }
        defer { harness.shutdown() }
        let token = signer.sign("alice")
        let good = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0"],
                                     subprotocols: ["phoenix", AuthToken.subprotocolPrefix + Base64URL.encode(Array(token.utf8))])
        #expect(decide(harness.endpoint, good) == (nil, "phoenix"))
        let query = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0", "token": token])
        #expect(decide(harness.endpoint, query) == (nil, nil))
        time.advance(by: .seconds(3601))
        #expect(decide(harness.endpoint, good).status == 403)
        let none = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0"])
        #expect(decide(harness.endpoint, none).status == 403)
        #expect(harness.endpoint.statistics[.connectionsRefused] == 2)
        #expect(harness.endpoint.statistics[.connectionsAccepted] == 2)
    }

    /// Records the consumption reports a socket sends its connection.
    final class ConsumptionConnection: TransportConnection {
        let consumed = EventQueue<Int>()
        func send(_ frame: TransportFrame) -> Bool { true }
        var isClosing: Bool { false }
        func close(code: TransportCloseCode, reason: String) {}
        func inboundConsumed(byteCount: Int) { consumed.push(byteCount) }
    }

    @Test("a socket reports each frame it handled to its transport (heartbeats and bad frames too), so the transport can apply backpressure; the transport counts on the endpoint's statistics")
    func consumptionReported() async throws {
        let harness = Harness.make { _ in .accept(Assigns()) }
        defer { harness.shutdown() }
        let connection = ConsumptionConnection()
        let request = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0"])
        guard case .accept(_, let session) = harness.endpoint.connect(request, connection: connection) else {
            Issue.record("expected the connection to be accepted")
            return
        }
        #expect(session.reportsConsumption)
        #expect(harness.endpoint.transportStatistics === harness.endpoint.statistics)
        let heartbeat = "[null,\"1\",\"phoenix\",\"heartbeat\",{}]"
        session.received(.text(ByteBuffer(string: heartbeat)))
        #expect(try await connection.consumed.next(within: .seconds(10)) == heartbeat.utf8.count)
        session.received(.text(ByteBuffer(string: "not json")))
        #expect(try await connection.consumed.next(within: .seconds(10)) == 8)
    }

    @Test("a disallowed Origin is refused with 403, an unknown vsn with 400")
    func originAndVersion() {
        let harness = Harness.make(configuration: SocketConfiguration(origins: OriginPolicy(allowing: ["https://app.example.com"])))
        defer { harness.shutdown() }
        let evil = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0"],
                                     headers: [(name: "origin", value: "https://evil.example.net")])
        #expect(decide(harness.endpoint, evil).status == 403)
        let fine = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0"],
                                     headers: [(name: "origin", value: "https://app.example.com")])
        #expect(decide(harness.endpoint, fine).status == nil)
        let future = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "9.0.0"])
        #expect(decide(harness.endpoint, future).status == 400)
        #expect(harness.endpoint.statistics[.originRefused] == 1)
        #expect(harness.endpoint.statistics[.versionRefused] == 1)
    }

    @Test("closeAll closes every socket with goingAway")
    func closeAll() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let clients = try (0..<3).map { _ in try harness.connect() }
        harness.endpoint.closeAll()
        for client in clients {
            #expect(try await client.nextClose() == (.goingAway, "server shutting down"))
        }
    }
}
