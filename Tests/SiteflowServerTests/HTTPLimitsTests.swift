import Foundation
import NIOCore
import NIOHTTP1
import SiteflowLoadTest
import SiteflowRealtime
import SiteflowServer
import Testing

/// Polls `condition` until it holds, failing the spec after `limit` (a safety bound).
func waitUntil(within limit: Duration = .seconds(20), _ what: String, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting until \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// The status code of a raw HTTP response (`HTTP/1.1 431 ...` → 431), or nil.
func statusCode(of response: String) -> Int? {
    let parts = response.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
    return Int(parts[1])
}

@Suite("HTTP limits: slow and oversized requests", .timeLimit(.minutes(1)))
struct HTTPRequestLimitTests {
    @Test("a request head larger than the limit is answered 431 and the connection is closed")
    func oversizedHead() async throws {
        let configuration = ServerConfiguration(maxRequestHeadSize: 1024)
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            try await client.send("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-padding: " + String(repeating: "a", count: 4096))
            let response = try await client.untilClosed()
            #expect(statusCode(of: response) == 431)
            #expect(response.contains("larger than 1024 bytes"))
            #expect(server.statistics[.requestHeadersTooLarge] == 1)
        }
    }

    @Test("a head within the limit is served, and the connection is reused for the next request")
    func headWithinLimit() async throws {
        let configuration = ServerConfiguration(maxRequestHeadSize: 1024)
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { _, port in
            let client = try await RawTCPClient.connect(port: port)
            for _ in 0..<3 {
                try await client.send("GET /assets/chat.css HTTP/1.1\r\nhost: 127.0.0.1\r\nx-padding: " + String(repeating: "a", count: 800) + "\r\n\r\n")
                #expect(statusCode(of: try await client.response()) == 200)
            }
            await client.close()
        }
    }

    @Test("a request not complete by the read deadline is answered 408 and closed (slowloris)")
    func slowRequest() async throws {
        let configuration = ServerConfiguration(requestReadTimeout: .milliseconds(200))
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            try await client.send("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n")
            let response = try await client.untilClosed()
            #expect(statusCode(of: response) == 408)
            #expect(server.statistics[.requestTimeouts] == 1)
        }
    }

    @Test("a body sent too slowly is cut off at the read deadline too")
    func slowBody() async throws {
        let configuration = ServerConfiguration(requestReadTimeout: .milliseconds(200))
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            try await client.send("POST /socket/longpoll HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100\r\n\r\n[\"1\"")
            let response = try await client.untilClosed()
            #expect(statusCode(of: response) == 408)
            #expect(server.statistics[.requestTimeouts] == 1)
        }
    }

    @Test("a connection that never sends a byte is closed when idle")
    func silentConnection() async throws {
        let configuration = ServerConfiguration(requestReadTimeout: .milliseconds(100), keepAliveIdleTimeout: .milliseconds(200))
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            #expect(try await client.untilClosed() == "")
            #expect(server.statistics[.keepAliveIdleCloses] == 1)
            #expect(server.statistics[.requestTimeouts] == 0)
        }
    }

    @Test("an idle keep-alive connection is closed after the idle timeout")
    func idleKeepAlive() async throws {
        let configuration = ServerConfiguration(keepAliveIdleTimeout: .milliseconds(200))
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            try await client.send("GET /assets/chat.css HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            #expect(statusCode(of: try await client.response()) == 200)
            #expect(try await client.untilClosed() == "")
            #expect(server.statistics[.keepAliveIdleCloses] == 1)
            #expect(server.statistics[.requestTimeouts] == 0)
        }
    }

    /// Short request deadline, or short idle timeout: each is tested alone so that a new
    /// connection's wait for its first byte (the longer of the two) does not race the client.
    static let shortTimeouts: [(read: Duration, idle: Duration)] = [(.milliseconds(100), .seconds(60)), (.seconds(10), .milliseconds(100))]

    @Test("a parked long-poll is neither idle nor slow: it is answered when its window ends", arguments: shortTimeouts)
    func parkedPollOutlivesShortTimeouts(read: Duration, idle: Duration) async throws {
        let endpoint = RecordingEndpoint(.silent)
        let configuration = ServerConfiguration(
            longPollWindow: .milliseconds(600), requestReadTimeout: read, keepAliveIdleTimeout: idle)
        try await withServer(endpoint, configuration: configuration) { server, port in
            let opened = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll"))
            let token = try #require(opened.token)
            let client = try await RawTCPClient.connect(port: port)
            try await client.send("GET /socket/longpoll?token=\(token) HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            let polled = try await client.response()
            #expect(statusCode(of: polled) == 200)
            // Answered at the window's end (600 ms, past both short timeouts): the parked poll was
            // neither closed as idle nor timed out. (The idle counter is not asserted: the first
            // request's keep-alive connection may rightly be closed as idle meanwhile.)
            #expect(polled.contains(#"{"status":204"#))
            #expect(server.statistics[.requestTimeouts] == 0)
            await client.close()
        }
    }

    @Test("incomplete requests on all connections share the server's budget: past it, 503 and close")
    func nodeWideHeadBudget() async throws {
        // Deadlines far away, so that only the budget can refuse (on a loaded machine the default
        // 10 s request deadline could answer 408 first).
        let configuration = ServerConfiguration(
            maxRequestHeadSize: 200, maxPendingRequestHeadBytes: 250, requestReadTimeout: .seconds(600), keepAliveIdleTimeout: .seconds(600))
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            let partial = "GET /nowhere HTTP/1.1\r\nhost: 127.0.0.1\r\nx-padding: " + String(repeating: "a", count: 100)
            let first = try await RawTCPClient.connect(port: port)
            let second = try await RawTCPClient.connect(port: port)
            try await first.send(partial)
            try await second.send(partial)
            // Each head fits the per-connection limit; together they pass the budget, so
            // exactly one of the two is refused, whichever the server read last.
            try await waitUntil("one of the two is refused") { !first.isOpen || !second.isOpen }
            let client = first.isOpen ? second : first
            let response = try await client.untilClosed()
            #expect(statusCode(of: response) == 503)
            #expect(response.contains("too many incomplete requests"))
            #expect(server.statistics[.requestHeadBudgetRefusals] == 1)
            let survivor = client === first ? second : first
            try await survivor.send("\r\n\r\n")
            #expect(statusCode(of: try await survivor.response()) == 404)
            await survivor.close()
        }
    }
}

@Suite("HTTP limits: request rules and security headers", .timeLimit(.minutes(1)))
struct HTTPRequestRuleTests {
    @Test("an HTTP/1.1 request without Host is a 400; HTTP/1.0 needs none")
    func hostRequired() async throws {
        try await withServer(RecordingEndpoint(.echo)) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            try await client.send("GET /assets/chat.css HTTP/1.1\r\n\r\n")
            let response = try await client.untilClosed()
            #expect(statusCode(of: response) == 400)
            #expect(response.contains("Host"))
            #expect(server.statistics[.requestsWithoutHost] == 1)

            let old = try await RawTCPClient.connect(port: port)
            try await old.send("GET /assets/chat.css HTTP/1.0\r\n\r\n")
            #expect(statusCode(of: try await old.untilClosed()) == 200)
        }
    }

    @Test("a body declared larger than the limit is refused with 413 before it is sent")
    func declaredBodyTooLarge() async throws {
        try await withServer(RecordingEndpoint(.echo)) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            try await client.send("POST /socket/longpoll HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 50000000\r\n\r\n")
            let response = try await client.untilClosed()
            #expect(statusCode(of: response) == 413)
            #expect(response.contains("larger than 1048576 bytes"))
            #expect(server.statistics[.requestBodiesTooLarge] == 1)
        }
    }

    @Test("a chunked body is refused with 413 as soon as it passes the limit")
    func chunkedBodyTooLarge() async throws {
        try await withServer(RecordingEndpoint(.echo), configuration: ServerConfiguration(maxRequestBodySize: 16)) { server, port in
            let client = try await RawTCPClient.connect(port: port)
            let chunk = String(repeating: "a", count: 32)
            try await client.send("POST /socket/longpoll HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n20\r\n\(chunk)\r\n")
            let response = try await client.untilClosed()
            #expect(statusCode(of: response) == 413)
            #expect(server.statistics[.requestBodiesTooLarge] == 1)
        }
    }

    @Test("every response carries the security headers: pages, errors and long-poll replies")
    func securityHeaders() async throws {
        try await withServer(RecordingEndpoint(.echo)) { _, port in
            for target in ["/", "/assets/chat.js", "/nowhere", "/socket/longpoll"] {
                let response = try await HTTPTestClient.request(port: port, target)
                #expect(response.header("x-content-type-options") == "nosniff", "\(target)")
                #expect(response.header("x-frame-options") == "DENY", "\(target)")
                #expect(response.header("referrer-policy") == "same-origin", "\(target)")
                let policy = try #require(response.header("content-security-policy"), "\(target)")
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(policy.contains("script-src 'self'"))
            }
        }
    }

    @Test("a route's own content security policy is kept")
    func routePolicyKept() async throws {
        var routes = RouteTable.testSite
        routes.get("/inline") { _ in
            RouteResponse(contentType: "text/html", text: "<script>1</script>", headers: [(name: "content-security-policy", value: "script-src 'unsafe-inline'")])
        }
        try await withServer(RecordingEndpoint(.echo), routes: routes) { _, port in
            let response = try await HTTPTestClient.request(port: port, "/inline")
            #expect(response.headers["content-security-policy"] == ["script-src 'unsafe-inline'"])
            #expect(response.header("x-frame-options") == "DENY")
        }
    }
}

@Suite("HTTP limits: connections and long-poll sessions", .timeLimit(.minutes(1)))
struct ConnectionLimitTests {
    @Test("connections beyond the server's limit are answered 503 at accept; a freed slot is reused")
    func totalConnectionLimit() async throws {
        let configuration = ServerConfiguration(maxConnections: 2)
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            var held: [RawTCPClient] = []
            for _ in 0..<2 {
                let client = try await RawTCPClient.connect(port: port)
                try await client.send("GET /assets/chat.css HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
                #expect(statusCode(of: try await client.response()) == 200)
                held.append(client)
            }
            let refused = try await RawTCPClient.connect(port: port)
            let response = try await refused.untilClosed()
            #expect(statusCode(of: response) == 503)
            #expect(response.contains("most connections (2)"))
            #expect(server.statistics[.connectionLimitRefusals] == 1)

            await held[0].close()
            try await waitUntil("the closed connection is released") { server.openConnectionCount == 1 }
            let admitted = try await RawTCPClient.connect(port: port)
            try await admitted.send("GET /assets/chat.css HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            #expect(statusCode(of: try await admitted.response()) == 200)
            await admitted.close()
            await held[1].close()
        }
    }

    @Test("connections beyond one address's limit are answered 429; other addresses still connect")
    func perAddressLimit() async throws {
        let configuration = ServerConfiguration(maxConnectionsPerAddress: 1)
        try await withServer(RecordingEndpoint(.echo), configuration: configuration) { server, port in
            let first = try await RawTCPClient.connect(port: port)
            try await first.send("GET /assets/chat.css HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            #expect(statusCode(of: try await first.response()) == 200)

            let second = try await RawTCPClient.connect(port: port)
            // The request is read and dropped while the refusal lingers.
            try? await second.send("GET /assets/chat.css HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            let response = try await second.untilClosed()
            #expect(statusCode(of: response) == 429)
            #expect(response.contains("too many connections from your address"))
            #expect(server.statistics[.connectionsPerAddressRefusals] == 1)

            let elsewhere = try await RawTCPClient.connect(port: port, from: "127.0.0.2")
            try await elsewhere.send("GET /assets/chat.css HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            #expect(statusCode(of: try await elsewhere.response()) == 200)
            await elsewhere.close()
            await first.close()
        }
    }

    @Test("long-poll sessions beyond the limit get 503 with a reason; a closed session frees its slot")
    func longPollSessionLimit() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint, configuration: ServerConfiguration(maxLongPollSessions: 2)) { server, port in
            var transports: [any TransportConnection] = []
            for _ in 0..<2 {
                #expect(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).status == 410)
                transports.append(try await endpoint.nextConnection().1)
            }
            let refused = try await HTTPTestClient.request(port: port, "/socket/longpoll")
            #expect(refused.status == 503)
            #expect(refused.body.contains(#""status":503"#))
            #expect(refused.body.contains("most long-poll sessions (2)"))
            #expect(server.statistics[.longPollSessionLimitRefusals] == 1)
            #expect(server.longPollSessionCount == 2)

            transports[0].close(code: .normal, reason: "done")
            _ = try await endpoint.nextClose()
            try await waitUntil("the closed session is forgotten") { server.longPollSessionCount == 1 }
            let reopened = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll"))
            #expect(reopened.status == 410)
            #expect(reopened.token != nil)
        }
    }

    @Test("abandoned long-poll sessions expire, are counted, and leave no session behind")
    func abandonedSessionsExpire() async throws {
        let endpoint = RecordingEndpoint(.silent)
        let configuration = ServerConfiguration(longPollSessionTimeout: .milliseconds(100))
        try await withServer(endpoint, configuration: configuration) { server, port in
            for _ in 0..<3 {
                #expect(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).status == 410)
            }
            for _ in 0..<3 { _ = try await endpoint.nextClose() }
            try await waitUntil("every session is forgotten") { server.longPollSessionCount == 0 }
            #expect(server.statistics[.longPollSessionsExpired] == 3)
        }
    }
}

@Suite("HTTP limits: upgraded connections", .timeLimit(.minutes(1)))
struct UpgradedConnectionLimitTests {
    @Test("an upgraded WebSocket is not subject to HTTP's request deadline or keep-alive idle timeout",
          arguments: HTTPRequestLimitTests.shortTimeouts)
    func webSocketOutlivesHTTPTimeouts(read: Duration, idle: Duration) async throws {
        let endpoint = RecordingEndpoint(.echo)
        let configuration = ServerConfiguration(longPollWindow: .milliseconds(400), requestReadTimeout: read, keepAliveIdleTimeout: idle)
        try await withServer(endpoint, configuration: configuration) { server, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            _ = try await endpoint.nextConnection()
            // A frame right away: were HTTP's guard still reading, it would start a request deadline.
            connection.sendText("hello")
            #expect(try await client.next() == .message(.text(ByteBuffer(string: "hello"))))
            // Let several of HTTP's timeouts pass: a long-poll's window (400 ms) is the clock.
            let token = try #require(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).token)
            _ = try await endpoint.nextConnection()
            #expect(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll?token=\(token)")).status == 204)

            connection.sendText("still here")
            #expect(try await client.next() == .message(.text(ByteBuffer(string: "still here"))))
            #expect(server.statistics[.keepAliveIdleCloses] == 0)
            #expect(server.statistics[.requestTimeouts] == 0)
        }
    }
}
