import SiteflowRealtime
import Testing

@Suite("Socket state machine: Phoenix's socket rules without I/O")
struct SocketStateMachineTests {
    typealias Machine = SocketStateMachine<Int>

    func message(_ joinRef: String?, _ ref: String?, _ topic: String, _ event: String, _ payload: JSONValue = .emptyObject) -> PhoenixMessage {
        PhoenixMessage(joinRef: joinRef, ref: ref, topic: topic, event: event, payload: .json(payload))
    }

    func reply(of action: SocketAction<Int>) -> PhoenixReply? {
        if case .reply(let reply) = action { return reply }
        if case .refuse(_, let reply) = action { return reply }
        return nil
    }

    func refusal(of action: SocketAction<Int>) -> SocketRefusal? {
        if case .refuse(let refusal, _) = action { return refusal }
        return nil
    }

    @Test("heartbeat on topic phoenix gets an ok reply {} on topic phoenix")
    func heartbeat() {
        var machine = Machine(now: 0)
        let action = machine.receive(message(nil, "5", "phoenix", "heartbeat"), now: 0)
        #expect(reply(of: action) == PhoenixReply(joinRef: nil, ref: "5", topic: "phoenix", status: .ok, response: .empty))
    }

    @Test("a join asks for a channel; messages then go to it; a null join_ref is accepted")
    func joinAndForward() {
        var machine = Machine(now: 0)
        guard case .join(let join) = machine.receive(message("1", "1", "room:a", "phx_join"), now: 0) else {
            Issue.record("expected join")
            return
        }
        #expect(join.joinRef == "1")
        machine.joined(topic: "room:a", joinRef: "1", handle: 7)
        guard case .forward(7, _) = machine.receive(message("1", "2", "room:a", "new_msg"), now: 0) else {
            Issue.record("expected forward")
            return
        }
        guard case .forward(7, _) = machine.receive(message(nil, "3", "room:a", "new_msg"), now: 0) else {
            Issue.record("expected forward of a null join_ref")
            return
        }
    }

    @Test("a V1 join without join_ref uses its ref as the join ref")
    func v1Join() {
        var machine = Machine(now: 0)
        guard case .join(let join) = machine.receive(message(nil, "4", "room:a", "phx_join"), now: 0) else {
            Issue.record("expected join")
            return
        }
        #expect(join.joinRef == "4")
    }

    @Test("after a leave and a rejoin of the topic, the replaced channel's late exit is stale: ignored, the new channel stays")
    func replacedChannelExitIsStale() {
        var machine = Machine(now: 0)
        _ = machine.receive(message("1", "1", "room:a", "phx_join"), now: 0)
        machine.joined(topic: "room:a", joinRef: "1", handle: 7)
        guard case .forward(7, _) = machine.receive(message("1", "2", "room:a", "phx_leave"), now: 0) else {
            Issue.record("expected the leave forwarded")
            return
        }
        guard case .rejoin(old: 7, _, _) = machine.receive(message("3", "3", "room:a", "phx_join"), now: 0) else {
            Issue.record("expected a rejoin")
            return
        }
        machine.joined(topic: "room:a", joinRef: "3", handle: 8)
        let late = machine.channelExited(7, abnormal: false)
        if case .ignore(.unknownChannel) = late { Issue.record("the replaced channel's exit was taken for a stranger's (the socket would stop)") }
        guard case .ignore(.replacedChannel) = late else {
            Issue.record("expected the replaced channel's exit ignored as stale, got \(late)")
            return
        }
        #expect(machine.replacedCount == 0)
        #expect(machine.channel(for: "room:a")?.handle == 8)
        guard case .forward(8, _) = machine.receive(message("3", "4", "room:a", "new_msg"), now: 0) else {
            Issue.record("expected the new channel to serve the topic")
            return
        }
        guard case .ignore(.unknownChannel) = machine.channelExited(99, abnormal: true) else {
            Issue.record("a process that never was a channel is still unknown")
            return
        }
    }

    @Test("a message with another join_ref than the topic's current one is ignored as stale")
    func staleJoinRef() {
        var machine = Machine(now: 0)
        _ = machine.receive(message("1", "1", "room:a", "phx_join"), now: 0)
        machine.joined(topic: "room:a", joinRef: "1", handle: 7)
        guard case .ignore(.staleJoinRef) = machine.receive(message("0", "2", "room:a", "new_msg"), now: 0) else {
            Issue.record("expected stale")
            return
        }
    }

    @Test("a message to a topic not joined gets error unmatched topic; a leave of it gets ok")
    func unmatched() {
        var machine = Machine(now: 0)
        #expect(reply(of: machine.receive(message("1", "2", "room:x", "new_msg"), now: 0))
            == .error(to: message("1", "2", "room:x", "new_msg"), reason: "unmatched topic"))
        #expect(reply(of: machine.receive(message("1", "3", "room:x", "phx_leave"), now: 0))?.status == .ok)
    }

    @Test("a duplicate join closes the old channel with phx_close for its join_ref, then joins again")
    func duplicateJoin() {
        var machine = Machine(now: 0)
        _ = machine.receive(message("1", "1", "room:a", "phx_join"), now: 0)
        machine.joined(topic: "room:a", joinRef: "1", handle: 7)
        guard case .rejoin(let old, let close, let join) = machine.receive(message("5", "5", "room:a", "phx_join"), now: 0) else {
            Issue.record("expected rejoin")
            return
        }
        #expect(old == 7)
        #expect(close == PhoenixMessage(joinRef: "1", ref: "1", topic: "room:a", event: "phx_close", payload: .empty))
        #expect(join.joinRef == "5")
        machine.joined(topic: "room:a", joinRef: "5", handle: 8)
        // The old channel's exit is not reported again: it is recognised as the replaced one's.
        guard case .ignore(.replacedChannel) = machine.channelExited(7, abnormal: false) else {
            Issue.record("old channel's exit should be ignored")
            return
        }
        #expect(machine.channel(for: "room:a")?.handle == 8)
    }

    @Test("joins past the channel limit get error too many channels joined")
    func channelLimit() {
        var machine = Machine(limits: .init(maxChannels: 2), now: 0)
        for index in 0..<2 {
            _ = machine.receive(message("\(index)", "\(index)", "room:\(index)", "phx_join"), now: 0)
            machine.joined(topic: "room:\(index)", joinRef: "\(index)", handle: index)
        }
        let refused = reply(of: machine.receive(message("9", "9", "room:9", "phx_join"), now: 0))
        #expect(refused == .error(to: message("9", "9", "room:9", "phx_join"), reason: "too many channels joined"))
    }

    @Test("joins past the join rate limit get error join rate limited (rejoins count; the joined channel stays); the budget refills with time")
    func joinRateLimit() {
        let second: UInt64 = 1_000_000_000
        var machine = Machine(limits: .init(joinBurst: 2, joinsPerSecond: 1), now: 0)
        guard case .join = machine.receive(message("1", "1", "room:a", "phx_join"), now: 0) else {
            Issue.record("expected the first join")
            return
        }
        machine.joined(topic: "room:a", joinRef: "1", handle: 1)
        guard case .rejoin = machine.receive(message("2", "2", "room:a", "phx_join"), now: 0) else {
            Issue.record("expected a rejoin within the burst")
            return
        }
        machine.joined(topic: "room:a", joinRef: "2", handle: 2)
        let refused = machine.receive(message("3", "3", "room:b", "phx_join"), now: second / 2)
        #expect(refusal(of: refused) == .joinRateLimited)
        #expect(reply(of: refused) == .error(to: message("3", "3", "room:b", "phx_join"), reason: "join rate limited"))
        #expect(refusal(of: machine.receive(message("4", "4", "room:a", "phx_join"), now: second / 2)) == .joinRateLimited)
        #expect(machine.channel(for: "room:a")?.handle == 2, "a refused rejoin leaves the channel joined")
        guard case .join = machine.receive(message("5", "5", "room:b", "phx_join"), now: second) else {
            Issue.record("expected a join once a token has refilled")
            return
        }
        #expect(SocketRefusal.joinRateLimited.counter == .joinRateLimited)
    }

    @Test("a join refused for the channel limit takes no join token")
    func channelLimitTakesNoJoinToken() {
        var machine = Machine(limits: .init(maxChannels: 1, joinBurst: 2, joinsPerSecond: 1), now: 0)
        _ = machine.receive(message("1", "1", "room:a", "phx_join"), now: 0)
        machine.joined(topic: "room:a", joinRef: "1", handle: 1)
        for index in 2..<10 {
            #expect(refusal(of: machine.receive(message("\(index)", "\(index)", "room:b", "phx_join"), now: 0)) == .tooManyChannels)
        }
        guard case .rejoin = machine.receive(message("10", "10", "room:a", "phx_join"), now: 0) else {
            Issue.record("expected the rejoin to take the second token")
            return
        }
    }

    @Test("a channel's abnormal exit pushes phx_error, a normal or shutdown exit phx_close")
    func channelExits() {
        var machine = Machine(now: 0)
        machine.joined(topic: "room:a", joinRef: "1", handle: 1)
        machine.joined(topic: "room:b", joinRef: "2", handle: 2)
        guard case .push(let error) = machine.channelExited(1, abnormal: true),
            case .push(let close) = machine.channelExited(2, abnormal: false)
        else {
            Issue.record("expected pushes")
            return
        }
        #expect(error == PhoenixMessage(joinRef: "1", ref: "1", topic: "room:a", event: "phx_error", payload: .empty))
        #expect(close == PhoenixMessage(joinRef: "2", ref: "2", topic: "room:b", event: "phx_close", payload: .empty))
        #expect(machine.channelCount == 0)
    }

    @Test("a leave is forwarded once; later messages to the leaving channel are ignored")
    func leave() {
        var machine = Machine(now: 0)
        machine.joined(topic: "room:a", joinRef: "1", handle: 1)
        guard case .forward(1, let leave) = machine.receive(message("1", "2", "room:a", "phx_leave"), now: 0) else {
            Issue.record("expected forward")
            return
        }
        #expect(leave.event == "phx_leave")
        guard case .ignore(.alreadyLeaving) = machine.receive(message("1", "3", "room:a", "new_msg"), now: 0) else {
            Issue.record("expected ignore")
            return
        }
    }

    @Test("no frame for the idle timeout closes the socket; a frame resets the timer")
    func idleTimeout() {
        var machine = Machine(limits: .init(idleTimeout: .seconds(60)), now: 0)
        let second: UInt64 = 1_000_000_000
        guard case .none = machine.tick(now: 59 * second) else {
            Issue.record("closed too early")
            return
        }
        machine.frameArrived(now: 59 * second)
        guard case .none = machine.tick(now: 118 * second) else {
            Issue.record("a frame should reset the timer")
            return
        }
        guard case .close(let reason) = machine.tick(now: 119 * second) else {
            Issue.record("expected close")
            return
        }
        #expect(reason == .idleTimeout)
        #expect(reason.code == .normal)
        #expect(reason.text == "idle timeout")
        #expect(reason.counter == .idleTimeouts)
    }

    @Test("every frame takes a token, heartbeats included; past the budget a frame is refused, and a client that keeps exceeding it is closed (1008)")
    func rateLimit() {
        let second: UInt64 = 1_000_000_000
        var machine = Machine(limits: .init(rateLimitBurst: 2, rateLimitPerSecond: 1, rateLimitedFramesBeforeClose: 2), now: 0)
        #expect(machine.frameArrived(now: 0) == .admitted)
        #expect(reply(of: machine.receive(message(nil, "1", "phoenix", "heartbeat"), now: 0))?.status == .ok)
        #expect(machine.frameArrived(now: 0) == .admitted)
        #expect(machine.frameArrived(now: 0) == .rateLimited, "a heartbeat past the budget is not exempt")
        let limited = machine.rateLimited(message(nil, "3", "phoenix", "heartbeat"))
        #expect(reply(of: limited) == .error(to: message(nil, "3", "phoenix", "heartbeat"), reason: "rate limited"))
        #expect(refusal(of: limited) == .rateLimited, "counted by its typed reason, not its text")
        #expect(machine.frameArrived(now: 0) == .rateLimited)
        #expect(machine.frameArrived(now: second) == .admitted, "the budget refills")
        #expect(machine.frameArrived(now: second) == .close(.inboundRateExceeded), "the tolerance for excess is spent")
        #expect(SocketCloseReason.inboundRateExceeded.code == .policyViolation)
        #expect(SocketCloseReason.inboundRateExceeded.counter == .inboundRateCloses)
        guard case .none = machine.receive(message(nil, "9", "phoenix", "heartbeat"), now: second) else {
            Issue.record("a closed machine answers nothing")
            return
        }
    }
}
