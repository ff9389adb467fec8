import Foundation
import NIOCore
import NIOHTTP1
import SiteflowLoadTest
import SiteflowRealtime
import SiteflowServer
import Synchronization
import Testing

/// The WebSocket transport under hostile clients (issue 14, findings 1, 4, 12 and 16), over
/// real sockets.
@Suite("WebSocket transport under abuse", .timeLimit(.minutes(1)))
struct WebSocketHardeningTests {
    // MARK: Finding 1: ping floods

    @Test("a burst of pings in one read is answered by one pong, the latest ping's")
    func pingBurstCoalesced() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let client = try await RawWebSocketClient.upgraded(port: port)
            var burst: [UInt8] = []
            for index in 0..<5 { burst += RawWebSocketClient.frame(opcode: 0x9, payload: Array("\(index)".utf8)) }
            try await client.write(burst).get()
            #expect(try await client.next() == .frame(opcode: 0xA, payload: Array("4".utf8)))
            try await client.write(RawWebSocketClient.frame(opcode: 0x9, payload: Array("next".utf8))).get()
            #expect(try await client.next() == .frame(opcode: 0xA, payload: Array("next".utf8)))
            #expect(endpoint.statistics[.webSocketPingsCoalesced] == 4)
        }
    }

    @Test("a client that floods pings and reads nothing gets no pile of pongs: they are coalesced, then it is closed with 1008")
    func pingFloodClosed() async throws {
        let endpoint = RecordingEndpoint(.silent)
        var configuration = ServerConfiguration(outboundQueueLimit: 16)
        configuration.maxUnansweredPings = 8
        try await withServer(endpoint, configuration: configuration) { _, port in
            let client = try await RawWebSocketClient.upgraded(port: port)
            let (_, transport) = try await endpoint.nextConnection()
            try await client.setReading(false)
            // Fill the path to the client until the server's channel is unwritable (the bounded
            // queue then refuses for good), so that pongs cannot be written either.
            let filler = ByteBuffer(repeating: 0x78, count: 65_536)
            // (A refusal that outlasts 200 turns of a millisecond is the channel, not a drain
            // that has not run yet.)
            var refusalsInARow = 0
            var accepted = 0
            while refusalsInARow < 200, accepted < 4_000 {
                if transport.send(.binary(filler)) {
                    accepted += 1
                    refusalsInARow = 0
                } else {
                    refusalsInARow += 1
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            #expect(accepted < 4_000)
            // Before the fix each ping queued a pong in NIO's unbounded outbound buffer.
            for _ in 0..<200 { try await client.write(RawWebSocketClient.frame(opcode: 0x9, payload: [1])).get() }
            while endpoint.statistics[.webSocketPingFloodCloses] == 0 { try await Task.sleep(for: .milliseconds(1)) }
            // The client reads again: the frames accepted before, then the close.
            try await client.setReading(true)
            let close = try await client.nextClose()
            #expect(close.code == 1008)
            #expect(close.reason == "ping flood: more than 8 pings unanswered")
            #expect(try await endpoint.nextClose().code == .policyViolation)
            #expect(endpoint.statistics[.webSocketPingFloodCloses] == 1)
            #expect(endpoint.statistics[.webSocketPingsCoalesced] >= 8)
        }
    }

    // MARK: Finding 4: incomplete frames

    @Test("a frame left incomplete past the deadline closes the connection with 1008")
    func partialFrameDeadline() async throws {
        let endpoint = RecordingEndpoint(.silent)
        var configuration = ServerConfiguration()
        configuration.partialFrameTimeout = .milliseconds(200)
        // The rest of the stream is mid-frame, so the client's close cannot be read: the
        // handshake ends by its timeout.
        configuration.closeHandshakeTimeout = .milliseconds(300)
        try await withServer(endpoint, configuration: configuration) { _, port in
            let client = try await RawWebSocketClient.upgraded(port: port)
            let frame = RawWebSocketClient.frame(opcode: 0x2, payload: [UInt8](repeating: 7, count: 1_000))
            try await client.write(Array(frame[..<300])).get()
            let close = try await client.nextClose()
            #expect(close.code == 1008)
            #expect(close.reason == "frame incomplete after 200 ms")
            #expect(try await endpoint.nextClose().code == .policyViolation)
            #expect(endpoint.statistics[.webSocketPartialFrameTimeouts] == 1)
        }
    }

    @Test("a frame that arrives in pieces within the deadline is delivered")
    func partialFrameInTime() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let client = try await RawWebSocketClient.upgraded(port: port)
            let payload = [UInt8](repeating: 7, count: 1_000)
            let frame = RawWebSocketClient.frame(opcode: 0x2, payload: payload)
            try await client.write(Array(frame[..<300])).get()
            try await client.write(Array(frame[300...])).get()
            #expect(try await endpoint.nextFrame() == .binary(ByteBuffer(bytes: payload)))
            #expect(endpoint.statistics[.webSocketPartialFrameTimeouts] == 0)
        }
    }

    @Test("past the node's budget for incomplete frames, the connection adding to it is closed with 1013; the others go on")
    func partialFrameBudget() async throws {
        let endpoint = RecordingEndpoint(.silent)
        var configuration = ServerConfiguration()
        configuration.partialFrameBudget = 1_000
        configuration.closeHandshakeTimeout = .milliseconds(300)
        // Only the budget may close here (the default 10 s incomplete-frame timeout could come
        // first on a loaded machine).
        configuration.partialFrameTimeout = .seconds(600)
        try await withServer(endpoint, configuration: configuration) { _, port in
            let first = try await RawWebSocketClient.upgraded(port: port)
            // 600 bytes of a fragmented message are held; the pong shows the server read them.
            try await first.write(
                RawWebSocketClient.frame(opcode: 0x2, payload: [UInt8](repeating: 1, count: 600), fin: false)
                    + RawWebSocketClient.frame(opcode: 0x9, payload: [])
            ).get()
            #expect(try await first.next() == .frame(opcode: 0xA, payload: []))

            let second = try await RawWebSocketClient.upgraded(port: port)
            try await second.write(RawWebSocketClient.frame(opcode: 0x2, payload: [UInt8](repeating: 2, count: 600), fin: false)).get()
            let close = try await second.nextClose()
            #expect(close.code == 1013)
            #expect(close.reason == "the server's budget for incomplete frames is spent")
            #expect(endpoint.statistics[.webSocketPartialBudgetCloses] == 1)

            // The first connection finishes its message; its bytes leave the budget.
            try await first.write(RawWebSocketClient.frame(opcode: 0x0, payload: [UInt8](repeating: 1, count: 10))).get()
            #expect(try await endpoint.nextFrame() == .binary(ByteBuffer(repeating: 1, count: 610)))
            let third = try await RawWebSocketClient.upgraded(port: port)
            try await third.write(
                RawWebSocketClient.frame(opcode: 0x2, payload: [UInt8](repeating: 3, count: 900), fin: false)
                    + RawWebSocketClient.frame(opcode: 0x9, payload: [])
            ).get()
            #expect(try await third.next() == .frame(opcode: 0xA, payload: []))
        }
    }

    // MARK: Finding 12: inbound backpressure

    // Run alone (.ci/run does, with SITEFLOW_ISOLATED_SPECS=1): it passes alone and under CPU
    // load, but in the full parallel suite it has overrun its time limit (3 of 3 full runs on
    // 2026-12-06) — either the test's clients starve behind the other suites' or a resume is
    // missed under that interleaving; under investigation (issue note).
    @Test("a client flooding a stalled session is not read beyond the bound; once the session consumes, everything arrives",
          .enabled(if: ProcessInfo.processInfo.environment["SITEFLOW_ISOLATED_SPECS"] == "1", "runs alone: SITEFLOW_ISOLATED_SPECS=1 swift test --filter inboundBackpressure"))
    func inboundBackpressure() async throws {
        let endpoint = RecordingEndpoint(.stalled)
        var configuration = ServerConfiguration()
        let bound = 64 * 1024
        configuration.inboundPendingLimit = bound
        try await withServer(endpoint, configuration: configuration) { _, port in
            let client = try await RawWebSocketClient.upgraded(port: port)
            let channel = try #require(client.channel)
            let frameSize = 16 * 1024
            let frame = ByteBuffer(bytes: RawWebSocketClient.frame(opcode: 0x2, payload: [UInt8](repeating: 9, count: frameSize)))
            // Far more than the kernel's socket buffers on both sides hold.
            let count = 2_048
            let written = WriteCounter()
            var last: EventLoopFuture<Void>?
            for _ in 0..<count {
                let promise = channel.eventLoop.makePromise(of: Void.self)
                channel.writeAndFlush(frame, promise: promise)
                promise.futureResult.whenSuccess { written.increment() }
                last = promise.futureResult
            }
            // The server pauses reading...
            while endpoint.statistics[.webSocketReadPauses] == 0 { try await Task.sleep(for: .milliseconds(1)) }
            // ...and the client's writes stop completing behind it (a server that went on
            // reading would take all of them, and the check below would see it).
            var seen = -1
            var unchanged = 0
            while unchanged < 100, written.value < count {
                let now = written.value
                unchanged = now == seen ? unchanged + 1 : 0
                seen = now
                try await Task.sleep(for: .milliseconds(1))
            }
            // At most one read (64 KiB) and one frame past the bound were handed over.
            #expect(endpoint.unconsumedBytes <= bound + 64 * 1024 + frameSize)
            #expect(written.value < count)
            endpoint.release()
            try await last?.get()
            while endpoint.receivedBytes < count * frameSize { try await Task.sleep(for: .milliseconds(1)) }
            #expect(endpoint.receivedBytes == count * frameSize)
            #expect(endpoint.unconsumedBytes == 0)
        }
    }

    // MARK: Finding 16: close codes and the handshake

    @Test("an invalid close code is answered with 1002, not echoed")
    func invalidCloseCodes() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let codes: [UInt16] = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]
            for code in codes {
                let client = try await RawWebSocketClient.upgraded(port: port)
                try await client.write(RawWebSocketClient.closeFrame(code: code)).get()
                let close = try await client.nextClose()
                #expect(close.code == 1002, "close code \(code)")
                #expect(close.reason == "invalid close code \(code)")
            }
            #expect(endpoint.statistics[.webSocketInvalidCloseFrames] == codes.count)
            let valid = try await RawWebSocketClient.upgraded(port: port)
            try await valid.write(RawWebSocketClient.closeFrame(code: 3000)).get()
            #expect(try await valid.nextClose().code == 3000)
        }
    }

    @Test("a close reason that is not valid UTF-8 is answered with 1007")
    func invalidCloseReason() async throws {
        let endpoint = RecordingEndpoint(.silent)
        try await withServer(endpoint) { _, port in
            let client = try await RawWebSocketClient.upgraded(port: port)
            try await client.write(RawWebSocketClient.closeFrame(code: 1000, reason: [0xC3, 0x28])).get()
            let close = try await client.nextClose()
            #expect(close.code == 1007)
            #expect(close.reason == "close reason is not valid UTF-8")
        }
    }

    @Test("an upgrade without Connection: Upgrade, with a malformed key or a wrong version gets 400 with the reason, and the endpoint is not asked")
    func malformedHandshakes() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let valid: [(String, String)] = [("upgrade", "websocket"), ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="), ("sec-websocket-version", "13")]
            let noConnection = try await HTTPTestClient.request(port: port, "/socket/websocket?vsn=2.0.0", headers: valid)
            #expect(noConnection.status == 400)
            #expect(noConnection.body == "invalid WebSocket upgrade: the Connection header must list \"Upgrade\"\n")

            var badKey = valid
            badKey[1].1 = "not-a-key"
            let badKeyResponse = try await HTTPTestClient.request(port: port, "/socket/websocket?vsn=2.0.0", headers: badKey + [("connection", "upgrade")])
            #expect(badKeyResponse.status == 400)
            #expect(badKeyResponse.body == "invalid WebSocket upgrade: Sec-WebSocket-Key must be one base64-encoded 16-byte value\n")

            var shortKey = valid
            shortKey[1].1 = "AAAAAAAAAAAAAAAA"
            let shortKeyResponse = try await HTTPTestClient.request(port: port, "/socket/websocket?vsn=2.0.0", headers: shortKey + [("connection", "upgrade")])
            #expect(shortKeyResponse.status == 400)

            var badVersion = valid
            badVersion[2].1 = "8"
            let badVersionResponse = try await HTTPTestClient.request(port: port, "/socket/websocket?vsn=2.0.0", headers: badVersion + [("connection", "upgrade")])
            #expect(badVersionResponse.status == 400)
            #expect(badVersionResponse.body == "invalid WebSocket upgrade: Sec-WebSocket-Version must be 13\n")
            #expect(endpoint.statistics[.webSocketUpgradesRejected] == 4)
        }
        #expect(endpoint.closeCounts.isEmpty)
    }

    @Test("a wrong or missing Sec-WebSocket-Version gets 400 with Sec-WebSocket-Version: 13 (RFC 6455 §4.4); other refusals do not carry it")
    func versionRefusalNamesTheVersion() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let base: [(String, String)] = [("upgrade", "websocket"), ("connection", "upgrade"), ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")]
            for version in [[("sec-websocket-version", "8")], [("sec-websocket-version", "14")], []] {
                let response = try await HTTPTestClient.request(port: port, "/socket/websocket?vsn=2.0.0", headers: base + version)
                #expect(response.status == 400)
                #expect(response.headers["sec-websocket-version"] == ["13"])
                #expect(response.body == "invalid WebSocket upgrade: Sec-WebSocket-Version must be 13\n")
            }
            var badKey = base
            badKey[2].1 = "not-a-key"
            let badKeyResponse = try await HTTPTestClient.request(port: port, "/socket/websocket?vsn=2.0.0", headers: badKey + [("sec-websocket-version", "13")])
            #expect(badKeyResponse.status == 400)
            #expect(badKeyResponse.headers["sec-websocket-version"].isEmpty)
        }
        #expect(endpoint.closeCounts.isEmpty)
    }

    @Test("Connection: Upgrade is found as a token in any case, in a comma-separated list")
    func connectionTokenList() async throws {
        let endpoint = RecordingEndpoint(.echo)
        try await withServer(endpoint) { _, port in
            let request = RawWebSocketClient.upgradeRequest(port: port, headers: ["Connection": "keep-alive, UPGRADE"])
            let client = try await RawWebSocketClient.connect(port: port, request: request)
            guard case .handshake(let response) = try await client.next() else {
                Issue.record("expected the handshake response")
                return
            }
            #expect(response.hasPrefix("HTTP/1.1 101"))
        }
    }
}

/// Counts completed writes across threads.
private final class WriteCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
