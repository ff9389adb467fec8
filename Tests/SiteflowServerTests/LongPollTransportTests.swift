import Foundation
import NIOCore
import NIOHTTP1
import SiteflowRealtime
import SiteflowServer
import Testing

@Suite("Long-poll transport", .timeLimit(.minutes(1)))
struct LongPollTransportTests {
    static let shortWindow = ServerConfiguration(longPollWindow: .milliseconds(50))

    @Test("full cycle: 410 opens a session, POST delivers a frame, GET collects the reply, GET waits then 204, 410 once closed")
    func fullCycle() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint, configuration: Self.shortWindow) { _, port in
            let opened = try LongPollBody(await HTTPTestClient.request(
                port: port,
                "/socket/longpoll?vsn=2.0.0&user=ann",
                headers: [("x-phoenix-authtoken", "secret")]
            ))
            #expect(opened.status == 410)
            #expect(opened.messages == [])
            let token = try #require(opened.token)
            #expect(token.count == 22)
            let (request, transport) = try await endpoint.nextConnection()
            #expect(request.transport == .longPoll)
            #expect(request.path == "/socket/longpoll")
            #expect(request.queryParameters == ["vsn": "2.0.0", "user": "ann"])
            #expect(request.header("x-phoenix-authtoken") == "secret")

            let frame = #"["1","1","room:lobby","phx_join",{}]"#
            let posted = try LongPollBody(await HTTPTestClient.request(
                port: port, method: .POST, "/socket/longpoll?vsn=2.0.0&token=\(token)",
                headers: [("content-type", "application/json")], body: frame
            ))
            #expect(posted.status == 200)
            #expect(try await endpoint.nextFrame() == .text(ByteBuffer(string: frame)))

            let polled = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll?vsn=2.0.0&token=\(token)"))
            #expect(polled.status == 200)
            #expect(polled.token == token)
            #expect(polled.messages == [frame])

            let empty = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll?vsn=2.0.0&token=\(token)"))
            #expect(empty.status == 204)

            transport.close(code: .normal, reason: "done")
            #expect(try await endpoint.nextClose().code == .normal)
            let gone = try LongPollBody(await HTTPTestClient.request(
                port: port, method: .POST, "/socket/longpoll?token=\(token)", body: frame
            ))
            #expect(gone.status == 410)
        }
        #expect(endpoint.closeCounts == [1])
    }

    @Test("a parked poll is answered as soon as the socket sends a frame")
    func parkedPollWakesUp() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint, configuration: ServerConfiguration(longPollWindow: .seconds(30))) { _, port in
            let token = try #require(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).token)
            let (_, transport) = try await endpoint.nextConnection()
            async let poll = HTTPTestClient.request(port: port, "/socket/longpoll", headers: [("x-phoenix-longpoll-token", token)])
            // The frame may arrive before or after the GET parks: either way the GET returns it.
            #expect(transport.send(.text(ByteBuffer(string: "[null,null,\"room:a\",\"new_msg\",{}]"))))
            let body = try LongPollBody(await poll)
            #expect(body.status == 200)
            #expect(body.messages == ["[null,null,\"room:a\",\"new_msg\",{}]"])
        }
    }

    @Test("a second poll takes over: the first is answered 204 and the frame goes to the second")
    func secondPollTakesOver() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint, configuration: ServerConfiguration(longPollWindow: .seconds(30))) { _, port in
            let token = try #require(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).token)
            let (_, transport) = try await endpoint.nextConnection()
            try await withThrowingTaskGroup(of: TestResponse.self) { polls in
                for _ in 0..<2 {
                    polls.addTask { try await HTTPTestClient.request(port: port, "/socket/longpoll?token=\(token)") }
                }
                // Whichever poll parks second takes over; the other is answered 204 at once.
                let superseded = try LongPollBody(try #require(await polls.next()))
                #expect(superseded.status == 204)
                #expect(transport.send(.text(ByteBuffer(string: "[null,null,\"room:a\",\"new_msg\",{}]"))))
                let taker = try LongPollBody(try #require(await polls.next()))
                #expect(taker.status == 200)
                #expect(taker.messages == ["[null,null,\"room:a\",\"new_msg\",{}]"])
            }
        }
    }

    @Test("an ndjson batch delivers its frames in order; base64 lines are binary frames")
    func ndjsonBatch() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint, configuration: Self.shortWindow) { _, port in
            let token = try #require(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).token)
            let binary = Data([0, 3, 3, 10, 1, 2]).base64EncodedString()
            let batch = "[null,\"1\",\"phoenix\",\"heartbeat\",{}]\n\(binary)\r\n[\"1\",\"2\",\"room:a\",\"new_msg\",{\"body\":\"hi\\n\"}]\n"
            let posted = try LongPollBody(await HTTPTestClient.request(
                port: port, method: .POST, "/socket/longpoll",
                headers: [("x-phoenix-longpoll-token", token), ("content-type", "application/x-ndjson")],
                body: batch
            ))
            #expect(posted.status == 200)
            #expect(try await endpoint.nextFrame() == .text(ByteBuffer(string: "[null,\"1\",\"phoenix\",\"heartbeat\",{}]")))
            #expect(try await endpoint.nextFrame() == .binary(ByteBuffer(bytes: [0, 3, 3, 10, 1, 2])))
            #expect(try await endpoint.nextFrame() == .text(ByteBuffer(string: "[\"1\",\"2\",\"room:a\",\"new_msg\",{\"body\":\"hi\\n\"}]")))
        }
    }

    @Test("a batch above the limit, or a line that is neither JSON nor base64, is a 400 with a reason")
    func badBatches() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint, configuration: ServerConfiguration(longPollMaxBatch: 3)) { _, port in
            let token = try #require(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).token)
            let tooMany = try await HTTPTestClient.request(
                port: port, method: .POST, "/socket/longpoll?token=\(token)",
                headers: [("content-type", "application/x-ndjson")],
                body: Array(repeating: "[null,\"1\",\"phoenix\",\"heartbeat\",{}]", count: 4).joined(separator: "\n")
            )
            #expect(tooMany.status == 400)
            #expect(tooMany.body == "a long-poll batch carries at most 3 frames\n")
            let garbage = try await HTTPTestClient.request(
                port: port, method: .POST, "/socket/longpoll?token=\(token)",
                headers: [("content-type", "application/x-ndjson")],
                body: "not base64!"
            )
            #expect(garbage.status == 400)
            #expect(garbage.body == "line 1 is neither a JSON frame nor base64\n")
        }
    }

    @Test("a refused connection answers status 403 with the reason")
    func refused() async throws {
        let endpoint = RecordingEndpoint(.refuse(status: 403, reason: "invalid token"))
        try await withServer(endpoint) { _, port in
            let body = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll?vsn=2.0.0"))
            #expect(body.status == 403)
            #expect(body.reason == "invalid token")
            #expect(body.token == nil)
        }
    }

    @Test("POST with an unknown token answers 410")
    func unknownTokenPost() async throws {
        try await withServer(RecordingEndpoint(.echo)) { _, port in
            let body = try LongPollBody(await HTTPTestClient.request(port: port, method: .POST, "/socket/longpoll?token=nope", body: "[]"))
            #expect(body.status == 410)
        }
    }

    @Test("CORS answers the allowed origin itself, never '*'; a page of another origin is refused (403) on every request, preflight and polls included")
    func corsForAllowedOriginsOnly() async throws {
        let endpoint = OriginCheckingEndpoint(inner: RecordingEndpoint(.echo), allowed: "https://app.example.com")
        try await withServer(endpoint) { _, port in
            let preflight = try await HTTPTestClient.request(
                port: port, method: .OPTIONS, "/socket/longpoll",
                headers: [("origin", "https://app.example.com"), ("access-control-request-headers", "content-type, x-phoenix-longpoll-token")]
            )
            #expect(preflight.status == 200)
            #expect(preflight.header("access-control-allow-origin") == "https://app.example.com")
            #expect(preflight.header("vary") == "origin")
            #expect(preflight.header("access-control-allow-methods") == "get, post, options")
            #expect(preflight.header("access-control-allow-headers") == "content-type, x-phoenix-longpoll-token")

            let opened = try LongPollBody(try await HTTPTestClient.request(
                port: port, "/socket/longpoll?vsn=2.0.0", headers: [("origin", "https://app.example.com")]))
            let token = try #require(opened.token)
            let sameOrigin = try await HTTPTestClient.request(port: port, "/socket/longpoll?vsn=2.0.0&token=\(token)")
            #expect(sameOrigin.header("access-control-allow-origin") == nil, "no Origin header: no CORS needed")

            for method in [HTTPMethod.OPTIONS, .GET, .POST] {
                let foreign = try await HTTPTestClient.request(
                    port: port, method: method, "/socket/longpoll?vsn=2.0.0&token=\(token)", headers: [("origin", "https://evil.example")],
                    body: method == .POST ? #"[null,"1","phoenix","heartbeat",{}]"# : nil)
                #expect(try LongPollBody(foreign).status == 403, "\(method)")
                #expect(foreign.header("access-control-allow-origin") == nil, "\(method)")
            }
        }
    }

    @Test("a session nobody polls is closed after the session timeout")
    func sessionTimeout() async throws {
        let endpoint = RecordingEndpoint(.echo)
        let configuration = ServerConfiguration(longPollSessionTimeout: .milliseconds(100))
        try await withServer(endpoint, configuration: configuration) { _, port in
            let token = try #require(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).token)
            let close = try await endpoint.nextClose()
            #expect(close.code == nil)
            #expect(close.reason == "long-poll session was not polled for 100 ms")
            let reopened = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll?token=\(token)"))
            #expect(reopened.status == 410)
            #expect(reopened.token != token)
        }
    }

    @Test("the socket layer's frames beyond the queue limit are refused until the next poll")
    func boundedQueue() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint, configuration: ServerConfiguration(outboundQueueLimit: 2)) { _, port in
            let token = try #require(try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll")).token)
            let (_, transport) = try await endpoint.nextConnection()
            #expect(transport.send(.text(ByteBuffer(string: "1"))))
            #expect(transport.send(.text(ByteBuffer(string: "2"))))
            #expect(transport.send(.text(ByteBuffer(string: "3"))) == false)
            let body = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll?token=\(token)"))
            #expect(body.messages == ["1", "2"])
            #expect(transport.send(.text(ByteBuffer(string: "4"))))
        }
    }

    @Test("graceful shutdown ends long-poll sessions with 1001")
    func shutdownEndsSessions() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { server, port in
            _ = try LongPollBody(await HTTPTestClient.request(port: port, "/socket/longpoll"))
            await server.shutdown()
            #expect(try await endpoint.nextClose().code == .goingAway)
        }
        #expect(endpoint.closeCounts == [1])
    }
}
