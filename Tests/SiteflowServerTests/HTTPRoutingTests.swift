import NIOCore
import NIOHTTP1
import SiteflowServer
import Testing

@Suite("HTTP routes", .timeLimit(.minutes(1)))
struct HTTPRoutingTests {
    @Test("an unknown path is a 404 that names it")
    func unknownPath() async throws {
        try await withServer(RecordingEndpoint(.echo)) { _, port in
            let response = try await HTTPTestClient.request(port: port, "/nowhere?x=1")
            #expect(response.status == 404)
            #expect(response.body == "no route for GET /nowhere\n")
        }
    }

    @Test("a registered route answers with its bytes and content type; other methods get 405")
    func registeredRoute() async throws {
        var routes = RouteTable()
        routes.get("/metrics") { request in
            RouteResponse(contentType: "text/plain; version=0.0.4", text: "connections \(request.queryParameters["n"] ?? "0")\n")
        }
        try await withServer(RecordingEndpoint(.echo), routes: routes) { _, port in
            let metrics = try await HTTPTestClient.request(port: port, "/metrics?n=3")
            #expect(metrics.status == 200)
            #expect(metrics.header("content-type") == "text/plain; version=0.0.4")
            #expect(metrics.body == "connections 3\n")
            let post = try await HTTPTestClient.request(port: port, method: .POST, "/metrics", body: "x")
            #expect(post.status == 405)
            #expect(post.body == "/metrics accepts GET, HEAD\n")
            #expect(post.header("allow") == "GET, HEAD")
        }
    }

    @Test("a POST route sees its method and the client's address; other methods get 405 naming POST")
    func postRoute() async throws {
        var routes = RouteTable()
        routes.post("/action") { request in
            RouteResponse(status: 202, contentType: "text/plain", text: "\(request.method) from loopback: \(request.isFromLoopback)")
        }
        try await withServer(RecordingEndpoint(.echo), routes: routes) { _, port in
            let posted = try await HTTPTestClient.request(port: port, method: .POST, "/action", body: "")
            #expect(posted.status == 202)
            #expect(posted.body == "POST from loopback: true")
            let got = try await HTTPTestClient.request(port: port, "/action")
            #expect(got.status == 405)
            #expect(got.header("allow") == "POST")
        }
    }

    @Test("the WebSocket path without an upgrade is a 400 with a reason")
    func webSocketPathWithoutUpgrade() async throws {
        try await withServer(RecordingEndpoint(.echo)) { _, port in
            let response = try await HTTPTestClient.request(port: port, "/socket/websocket?vsn=2.0.0")
            #expect(response.status == 400)
            #expect(response.body == "/socket/websocket expects a WebSocket upgrade\n")
        }
    }

    @Test("a malformed WebSocket upgrade (wrong version, no key) is a 400 with a reason, and the endpoint is not asked")
    func malformedUpgrade() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let response = try await HTTPTestClient.request(
                port: port, "/socket/websocket?vsn=2.0.0",
                headers: [("upgrade", "websocket"), ("connection", "upgrade"), ("sec-websocket-version", "12")]
            )
            #expect(response.status == 400)
            #expect(response.body.hasPrefix("invalid WebSocket upgrade"))
        }
        #expect(endpoint.closeCounts.isEmpty)
    }

    @Test("a body larger than the limit is a 413")
    func bodyTooLarge() async throws {
        try await withServer(RecordingEndpoint(.echo), configuration: ServerConfiguration(maxRequestBodySize: 16)) { _, port in
            let response = try await HTTPTestClient.request(
                port: port, method: .POST, "/socket/longpoll", body: String(repeating: "x", count: 100)
            )
            #expect(response.status == 413)
            #expect(response.body == "request body larger than 16 bytes\n")
        }
    }
}
