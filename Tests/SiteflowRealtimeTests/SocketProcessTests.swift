import Dispatch
import NIOCore
import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Socket process: a live socket with channels, over a recording connection")
struct SocketProcessTests {
    @Test("V2: heartbeat, join, push with reply, leave with phx_close")
    func v2Lifecycle() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"[null,"1","phoenix","heartbeat",{}]"#)
        #expect(try await client.nextJSON() == v2Reply(nil, "1", "phoenix", "ok", [:]))
        client.send(#"["2","2","room:lobby","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "2", "room:lobby", "ok", ["joined": "room:lobby"]))
        client.send(#"["2","3","room:lobby","echo",{"body":"hi"}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "3", "room:lobby", "ok", ["body": "hi"]))
        client.send(#"["2","4","room:lobby","push",{"n":1}]"#)
        #expect(try await client.nextJSON() == ["2", nil, "room:lobby", "pushed", ["n": 1]])
        client.send(#"["2","5","room:lobby","phx_leave",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "5", "room:lobby", "ok", [:]))
        #expect(try await client.nextJSON() == ["2", "2", "room:lobby", "phx_close", [:]])
        client.send(#"["2","6","room:lobby","echo",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "6", "room:lobby", "error", ["reason": "unmatched topic"]))
    }

    @Test("V1: join and push use {topic, event, payload, ref} objects")
    func v1Lifecycle() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect(vsn: nil)
        client.send(#"{"topic":"room:a","event":"phx_join","payload":{},"ref":"1"}"#)
        let joined = try await client.nextJSON()
        #expect(joined["event"] == "phx_reply")
        #expect(joined["ref"] == "1")
        #expect(joined["payload"] == ["status": "ok", "response": ["joined": "room:a"]])
        client.send(#"{"topic":"room:a","event":"echo","payload":{"x":1},"ref":"2"}"#)
        let echoed = try await client.nextJSON()
        #expect(echoed["payload"] == ["status": "ok", "response": ["x": 1]])
        client.send(#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"3"}"#)
        #expect(try await client.nextJSON()["payload"] == ["status": "ok", "response": [:]])
    }

    @Test("V1: unmatched topic, duplicate join, channel crash and leave use V1 objects")
    func v1Rules() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect(vsn: "1.0.0")
        client.send(#"{"topic":"room:x","event":"echo","payload":{},"ref":"1"}"#)
        #expect(try await client.nextJSON() == ["topic": "room:x", "event": "phx_reply", "ref": "1",
                                                "payload": ["status": "error", "response": ["reason": "unmatched topic"]]])
        client.send(#"{"topic":"room:a","event":"phx_join","payload":{},"ref":"2"}"#)
        _ = try await client.nextJSON()
        client.send(#"{"topic":"room:a","event":"phx_join","payload":{},"ref":"3"}"#)
        #expect(try await client.nextJSON() == ["topic": "room:a", "event": "phx_close", "payload": [:], "ref": "2", "join_ref": "2"])
        #expect(try await client.nextJSON()["join_ref"] == "3")
        client.send(#"{"topic":"room:a","event":"crash","payload":{},"ref":"4"}"#)
        #expect(try await client.nextJSON() == ["topic": "room:a", "event": "phx_error", "payload": [:], "ref": "3", "join_ref": "3"])
        client.send(#"{"topic":"room:a","event":"phx_leave","payload":{},"ref":"5"}"#)
        #expect(try await client.nextJSON()["payload"] == ["status": "ok", "response": [:]])
    }

    @Test("V2 binary: a push with a readable topic but a bad event gets an error reply; a truncated header closes")
    func binaryBadFrames() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.sendBinary([0, 1, 1, 6, 2] + Array("12room:a".utf8) + [0xC3, 0x28])
        #expect(try await client.nextJSON() == v2Reply("1", "2", "room:a", "error", ["reason": "malformed binary frame: event"]))
        client.sendBinary([0, 9])
        let (code, reason) = try await client.nextClose()
        #expect(code == .protocolError)
        #expect(reason == "malformed binary frame: header")
    }

    @Test("V2 binary: a binary push reaches the channel and a binary reply comes back")
    func binaryPush() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.sendBinary([0, 1, 1, 6, 4] + Array("12room:aecho".utf8) + [1, 2, 3])
        #expect(try await client.connection.nextBinary() == [1, 1, 1, 6, 2] + Array("12room:aok".utf8) + [1, 2, 3])
    }

    @Test("a refused join gets the channel's error reply; a crashing join gets join crashed; neither joins")
    func refusedJoins() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{"deny":true}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "1", "room:a", "error", ["reason": "unauthorized"]))
        client.send(#"["2","2","room:a","phx_join",{"crash":true}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "2", "room:a", "error", ["reason": "join crashed"]))
        client.send(#"["3","3","nowhere","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("3", "3", "nowhere", "error", ["reason": "unmatched topic"]))
        let stats = harness.endpoint.statistics.snapshot()
        #expect(stats[.joinsRefused] == 1)
        #expect(stats[.joinCrashes] == 1)
        #expect(stats[.unmatchedTopic] == 1)
    }

    @Test("a channel crash sends phx_error for that topic only; the socket's other channels carry on")
    func crashIsolation() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["2","2","room:b","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["1","3","room:a","crash",{}]"#)
        #expect(try await client.nextJSON() == ["1", "1", "room:a", "phx_error", [:]])
        client.send(#"["2","4","room:b","echo",{"still":"here"}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "4", "room:b", "ok", ["still": "here"]))
        client.send(#"["1","5","room:a","echo",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "5", "room:a", "error", ["reason": "unmatched topic"]))
        #expect(harness.endpoint.statistics[.channelCrashes] == 1)
    }

    @Test("info messages sent to the channel process reach handleInfo, which may push")
    func infoMessages() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["1","2","room:a","later",{"n":7}]"#)
        #expect(try await client.nextJSON() == ["1", nil, "room:a", "info", ["n": 7]])
    }

    @Test("a channel that stops normally sends its reply, then phx_close")
    func channelStop() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["1","2","room:a","stop",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "2", "room:a", "ok", [:]))
        #expect(try await client.nextJSON() == ["1", "1", "room:a", "phx_close", [:]])
    }

    @Test("a duplicate join sends phx_close for the old join_ref and joins again; stale messages are ignored")
    func duplicateJoinAndStale() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["5","5","room:a","phx_join",{}]"#)
        #expect(try await client.nextJSON() == ["1", "1", "room:a", "phx_close", [:]])
        #expect(try await client.nextJSON() == v2Reply("5", "5", "room:a", "ok", ["joined": "room:a"]))
        client.send(#"["1","6","room:a","echo",{}]"#)  // stale: ignored
        try await client.sync()
        #expect(harness.endpoint.statistics[.staleMessages] == 1)
        client.send(#"[null,"7","room:a","echo",{"v1":"style"}]"#)  // null join_ref: accepted
        #expect(try await client.nextJSON() == v2Reply("5", "7", "room:a", "ok", ["v1": "style"]))
    }

    @Test("a leave quickly followed by a rejoin of the topic never closes the socket, even when the left channel's exit arrives after the rejoin")
    func leaveThenRejoinKeepsSocket() async throws {
        let gate = DispatchSemaphore(value: 0)
        let harness = Harness.make(routes: { router in router.channel("gated:*") { SlowLeavingChannel(gate: gate) } })
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","gated:a","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "1", "gated:a", "ok", [:]))
        client.send(#"["1","2","gated:a","phx_leave",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "2", "gated:a", "ok", [:]))
        // The left channel is still ending (held in terminate) when the rejoin arrives.
        client.send(#"["3","3","gated:a","phx_join",{}]"#)
        #expect(try await client.nextJSON() == ["1", "1", "gated:a", "phx_close", [:]])
        #expect(try await client.nextJSON() == v2Reply("3", "3", "gated:a", "ok", [:]))
        // Now it ends: its exit reaches the socket after the rejoin.
        gate.signal()
        try await waitUntil { harness.runtime.processCount == 2 }  // the socket and the new channel
        try await client.sync()
        client.send(#"["3","4","gated:a","echo",{"still":"here"}]"#)
        #expect(try await client.nextJSON() == v2Reply("3", "4", "gated:a", "ok", ["still": "here"]))
        #expect(harness.endpoint.statistics[.channelCrashes] == 0)
    }

    @Test("joins past the channel limit are refused with too many channels joined")
    func channelLimit() async throws {
        let harness = Harness.make(configuration: SocketConfiguration(limits: .init(maxChannels: 1)))
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["2","2","room:b","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "2", "room:b", "error", ["reason": "too many channels joined"]))
    }

    @Test("joins past the socket's join rate limit are answered join rate limited, counted; another socket is not limited; the budget refills")
    func joinRateLimit() async throws {
        let harness = Harness.make(configuration: SocketConfiguration(limits: .init(joinBurst: 2, joinsPerSecond: 1)))
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "1", "room:a", "ok", ["joined": "room:a"]))
        client.send(#"["2","2","room:b","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("2", "2", "room:b", "ok", ["joined": "room:b"]))
        client.send(#"["3","3","room:c","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("3", "3", "room:c", "error", ["reason": "join rate limited"]))
        #expect(harness.endpoint.statistics[.joinRateLimited] == 1)
        // The socket and its joined channels carry on.
        client.send(#"["1","4","room:a","echo",{"still":"here"}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "4", "room:a", "ok", ["still": "here"]))

        let other = try harness.connect()
        other.send(#"["1","1","room:c","phx_join",{}]"#)
        #expect(try await other.nextJSON() == v2Reply("1", "1", "room:c", "ok", ["joined": "room:c"]))

        harness.clock.advance(by: .seconds(1))
        client.send(#"["5","5","room:c","phx_join",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("5", "5", "room:c", "ok", ["joined": "room:c"]))
        #expect(harness.endpoint.statistics[.joinRateLimited] == 1)
    }

    @Test("a leave of a topic not joined gets ok")
    func leaveNotJoined() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_leave",{}]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "1", "room:a", "ok", [:]))
    }

    @Test("a frame with a readable topic but a bad shape gets an error reply; the socket lives on")
    func badFrameReplied() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","2","room:a","new",[1,2]]"#)
        #expect(try await client.nextJSON() == v2Reply("1", "2", "room:a", "error", ["reason": "payload is not an object: payload"]))
        try await client.sync()
        #expect(harness.endpoint.statistics[.badFramesReplied] == 1)
    }

    @Test("unparseable text closes the connection with protocolError and a reason, counted")
    func garbageCloses() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send("not json")
        let (code, reason) = try await client.nextClose()
        #expect(code == .protocolError)
        #expect(reason.hasPrefix("invalid JSON"))
        #expect(harness.endpoint.statistics[.badFramesClosed] == 1)
    }

    @Test("a binary frame on a V1 socket closes it with unsupportedData")
    func binaryOnV1() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect(vsn: "1.0.0")
        client.sendBinary([0, 0, 0, 0, 0])
        #expect(try await client.nextClose().0 == .unsupportedData)
    }

    @Test("a frame above the size limit closes the connection with messageTooBig")
    func frameTooBig() async throws {
        let harness = Harness.make(configuration: SocketConfiguration(maxFrameBytes: 64))
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"[null,"1","room:a","x",{"pad":""# + String(repeating: "x", count: 100) + #""}]"#)
        let (code, reason) = try await client.nextClose()
        #expect(code == .messageTooBig)
        #expect(reason == "frame too large")
        #expect(harness.endpoint.statistics[.oversizedFrames] == 1)
    }

    @Test("messages past the rate limit get error rate limited")
    func rateLimited() async throws {
        let harness = Harness.make(configuration: SocketConfiguration(limits: .init(rateLimitBurst: 3, rateLimitPerSecond: 1)))
        defer { harness.shutdown() }
        let client = try harness.connect()
        for ref in 1...4 { client.send(#"[null,"\#(ref)","room:x","x",{}]"#) }
        for ref in 1...3 {
            #expect(try await client.nextJSON() == v2Reply(nil, "\(ref)", "room:x", "error", ["reason": "unmatched topic"]))
        }
        #expect(try await client.nextJSON() == v2Reply(nil, "4", "room:x", "error", ["reason": "rate limited"]))
        #expect(harness.endpoint.statistics[.rateLimited] == 1)
    }

    @Test("heartbeats and malformed frames count toward the rate limit; a client that keeps exceeding it is closed with 1008, counted")
    func everyFrameCountsTowardRateLimit() async throws {
        let harness = Harness.make(configuration: SocketConfiguration(
            limits: .init(rateLimitBurst: 3, rateLimitPerSecond: 1, rateLimitedFramesBeforeClose: 2)))
        defer { harness.shutdown() }
        let client = try harness.connect()
        for ref in 1...3 { try await client.sync(ref: "\(ref)") }
        client.send(#"[null,"4","phoenix","heartbeat",{}]"#)
        #expect(try await client.nextJSON() == v2Reply(nil, "4", "phoenix", "error", ["reason": "rate limited"]))
        client.send("not json at all")  // over budget and unreadable: dropped, not a close for bad input
        client.send(#"[null,"5","phoenix","heartbeat",{}]"#)
        let (code, reason) = try await client.nextClose()
        #expect(code == .policyViolation)
        #expect(reason == "inbound rate limit exceeded")
        #expect(harness.endpoint.statistics[.rateLimited] == 3)
        #expect(harness.endpoint.statistics[.inboundRateCloses] == 1)
        #expect(harness.endpoint.statistics[.badFramesClosed] == 0)
    }

    @Test("a client silent for the idle timeout is closed at the next tick")
    func idleTimeout() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        harness.clock.advance(by: .seconds(30))
        try await client.sync()
        harness.clock.advance(by: .seconds(59))
        harness.endpoint.tick()
        try await client.sync(ref: "still-open")
        harness.clock.advance(by: .seconds(61))
        harness.endpoint.tick()
        let (code, reason) = try await client.nextClose()
        #expect(code == .normal)
        #expect(reason == "idle timeout")
        #expect(harness.endpoint.statistics[.idleTimeouts] == 1)
    }

    @Test("a socket that closes its connection (idle timeout) leaves the endpoint's count at once")
    func closedSocketLeavesCount() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        try await client.sync()
        #expect(harness.endpoint.socketCount == 1)
        harness.clock.advance(by: .seconds(61))
        harness.endpoint.tick()
        _ = try await client.nextClose()
        #expect(harness.endpoint.socketCount == 0)
    }

    @Test("the idle sweep sends nothing to a socket that received a frame within the idle timeout")
    func sweepLeavesBusySocketsAlone() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        try await client.sync()
        let socket = try #require(harness.runtime.snapshots().first { $0.kind == SocketProcess.kind })
        let handledBefore = try #require(harness.runtime.snapshot(of: socket.id)).messagesHandled
        harness.clock.advance(by: .seconds(59))
        harness.endpoint.tick()
        try await client.sync(ref: "after-tick")
        // Only the heartbeat was handled: the sweep sent no tick.
        #expect(try #require(harness.runtime.snapshot(of: socket.id)).messagesHandled == handledBefore + 1)
    }

    @Test("the idle sweep closes the connection of a socket process that was killed, and forgets it")
    func sweepClosesKilledSocket() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        try await client.sync()
        let socket = try #require(harness.runtime.snapshots().first { $0.kind == SocketProcess.kind })
        harness.runtime.exit(socket.id, reason: .kill)
        #expect(await harness.runtime.waitForExit(socket.id) == .killed)
        #expect(harness.endpoint.socketCount == 1)  // no terminate ran: nothing closed the connection yet
        harness.endpoint.tick()
        let (code, reason) = try await client.nextClose()
        #expect(code == .internalError)
        #expect(reason == "socket process ended")
        #expect(harness.endpoint.socketCount == 0)
    }

    @Test("a connection whose outbound queue is full is closed with tryAgainLater, counted")
    func slowConsumer() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect(capacity: 2)
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["1","2","room:a","echo",{}]"#)
        _ = try await client.nextJSON()
        client.send(#"["1","3","room:a","echo",{}]"#)  // the queue is full now
        let (code, reason) = try await client.nextClose()
        #expect(code == .tryAgainLater)
        #expect(reason == "outbound queue full")
        #expect(harness.endpoint.statistics[.slowConsumerCloses] == 1)
    }

    @Test("writes refused because the client closed the connection are not counted as a slow consumer; a full queue still is")
    func closedConnectionIsNotSlowConsumer() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let leaving = try harness.connect()
        let sender = try harness.connect()
        leaving.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await leaving.nextJSON()
        sender.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await sender.nextJSON()
        leaving.connection.closedByClient()
        sender.send(#"["1","2","room:a","shout",{"n":1}]"#)  // the fastlane write to `leaving` is refused
        let frames = Set([try await sender.nextJSON(), try await sender.nextJSON()])
        #expect(frames == Set([v2Reply("1", "2", "room:a", "ok", [:]), [nil, nil, "room:a", "shouted", ["n": 1]]]))
        leaving.session.transportClosed(code: .normal, reason: "bye")
        try await sender.sync()
        #expect(harness.endpoint.statistics[.slowConsumerCloses] == 0)
    }

    @Test("the transport closing ends the socket and its channels")
    func transportClosed() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try harness.connect()
        client.send(#"["1","1","room:a","phx_join",{}]"#)
        _ = try await client.nextJSON()
        #expect(harness.pubsub.subscriberCount("room:a") == 1)
        client.session.transportClosed(code: .normal, reason: "bye")
        _ = try await client.nextClose()  // the socket closes its side too (idempotent for the transport)
        while harness.endpoint.socketCount > 0 || harness.pubsub.subscriberCount("room:a") > 0 { await Task.yield() }
        #expect(harness.runtime.processCount == 0)
    }
}

/// A channel whose `terminate` waits for `gate`: its exit reaches the socket only when the test
/// says so. `echo` replies with the payload.
struct SlowLeavingChannel: SiteflowRealtime.Channel {
    let gate: DispatchSemaphore

    mutating func join(topic: String, payload: JSONValue, socket: inout ChannelSocket) throws -> ChannelJoinResult { .ok() }

    mutating func handleIn(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws -> ChannelReplyAction {
        .reply(.ok, payload)
    }

    mutating func terminate(reason: ExitReason, socket: inout ChannelSocket) {
        _ = gate.wait(timeout: .now() + 10)
    }
}

/// Waits (yielding, up to 10 s) until `condition` holds.
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestError("condition not met within 10 s") }
        try await Task.sleep(for: .milliseconds(1))
    }
}
