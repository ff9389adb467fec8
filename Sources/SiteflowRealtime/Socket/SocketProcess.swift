import NIOCore
public import SiteflowRuntime

/// The process serving one client connection (one per connection, started by
/// ``RealtimeEndpoint``). It decodes inbound frames, drives the ``SocketStateMachine``, starts a
/// linked ``ChannelProcess`` per join, and writes through the connection's ``SocketOutput``.
///
/// It traps exits, so a channel's crash arrives as a signal and becomes `phx_error` for that
/// topic only. Bad input never crashes it: an undecodable frame gets an error reply when its
/// topic is readable, otherwise the connection is closed with a reason; both are counted.
public struct SocketProcess: Behavior {
    /// Socket processes take ``SocketMessage``s.
    public typealias Message = SocketMessage

    var machine: SocketStateMachine<PID<ChannelMessage>>
    let output: SocketOutput
    let assigns: Assigns
    let environment: SocketEnvironment
    var statistics: SocketStatistics { output.statistics }
    var configuration: SocketConfiguration { environment.configuration }
    var pubsub: PubSub { environment.pubsub }

    init(output: SocketOutput, assigns: Assigns, environment: SocketEnvironment) {
        self.machine = SocketStateMachine(limits: environment.configuration.limits, now: environment.clock.now())
        self.output = output
        self.assigns = assigns
        self.environment = environment
    }

    /// Handles one message (see the type's description).
    public mutating func handle(_ message: SocketMessage, context: ProcessContext<SocketMessage>) {
        switch message {
        case .frame(let frame):
            received(frame, context: context)
            switch frame {
            case .text(let bytes), .binary(let bytes): output.connection.inboundConsumed(byteCount: bytes.readableBytes)
            }
        case .transportClosed:
            context.stop(.normal)
        case .tick:
            perform(machine.tick(now: environment.clock.now()), context: context)
        case .close(let code, let reason):
            output.close(code: code, reason: reason)
            context.stop(.normal)
        }
    }

    private mutating func received(_ frame: TransportFrame, context: ProcessContext<SocketMessage>) {
        guard !output.isClosed else { return }
        statistics.increment(.framesReceived)
        let now = environment.clock.now()
        let admission = machine.frameArrived(now: now)
        output.inboundArrived(at: now)
        if case .close(let reason) = admission {
            statistics.increment(.rateLimited)
            perform(.close(reason), context: context)
            return
        }
        let size: Int
        switch frame {
        case .text(let buffer), .binary(let buffer): size = buffer.readableBytes
        }
        guard size <= configuration.maxFrameBytes else {
            close(code: .messageTooBig, reason: "frame too large", counter: .oversizedFrames, context: context)
            return
        }
        let message: PhoenixMessage
        do throws(PhoenixDecodingError) {
            message = try output.serializer.decode(frame, limits: configuration.jsonLimits)
        } catch {
            if admission == .rateLimited {
                statistics.increment(.rateLimited)  // unreadable and over budget: dropped
                return
            }
            badFrame(error, context: context)
            return
        }
        if admission == .rateLimited {
            perform(machine.rateLimited(message), context: context)
            return
        }
        perform(machine.receive(message, now: now), context: context)
    }

    private func badFrame(_ error: PhoenixDecodingError, context: ProcessContext<SocketMessage>) {
        if let topic = error.topic {
            statistics.increment(.badFramesReplied)
            let request = PhoenixMessage(joinRef: error.joinRef, ref: error.ref, topic: topic, event: "", payload: .empty)
            output.reply(.error(to: request, reason: error.description))
            return
        }
        let code: TransportCloseCode
        switch error.code {
        case .binaryNotSupported: code = .unsupportedData
        case .oversized: code = .messageTooBig
        default: code = error.json?.code == .invalidUTF8 ? .invalidPayload : .protocolError
        }
        close(code: code, reason: error.description, counter: .badFramesClosed, context: context)
    }

    private func close(code: TransportCloseCode, reason: String, counter: SocketStatistics.Counter?,
                       context: ProcessContext<SocketMessage>) {
        output.close(code: code, reason: reason, counter: counter)
        context.stop(.normal)
    }

    private mutating func perform(_ action: SocketAction<PID<ChannelMessage>>, context: ProcessContext<SocketMessage>) {
        switch action {
        case .none:
            break
        case .ignore(let reason):
            if reason == .staleJoinRef { statistics.increment(.staleMessages) }
        case .reply(let reply):
            output.reply(reply)
        case .refuse(let refusal, let reply):
            statistics.increment(refusal.counter)
            output.reply(reply)
        case .push(let message):
            output.push(message)
        case .forward(let channel, let message):
            channel.send(.inbound(message))
        case .join(let join):
            startChannel(join, context: context)
        case .rejoin(let old, let closeMessage, let join):
            // Stays linked: its exit may already be on its way (a `phx_leave` just before), and the
            // machine recognises it as stale either way, instead of taking it for a stranger's.
            context.exit(old.id, reason: .shutdownWith("duplicate_join"))
            pubsub.unsubscribe(old.id, from: join.topic)
            output.push(closeMessage)
            startChannel(join, context: context)
        case .close(let reason):
            close(code: reason.code, reason: reason.text, counter: reason.counter, context: context)
        }
    }

    private mutating func startChannel(_ join: PhoenixMessage, context: ProcessContext<SocketMessage>) {
        guard let route = environment.router.route(for: join.topic) else {
            statistics.increment(SocketRefusal.unmatchedTopic.counter)
            output.reply(.error(to: join, reason: SocketRefusal.unmatchedTopic.rawValue))
            return
        }
        let joinRef = join.joinRef ?? join.ref ?? ""
        let socket = ChannelSocket(topic: join.topic, joinRef: joinRef, assigns: assigns, pubsub: pubsub, output: output)
        let outcome: ChannelStartOutcome
        do {
            outcome = try route.start(join.topic, join.payload.json ?? .emptyObject, socket, context)
        } catch {
            statistics.increment(.joinCrashes)
            output.reply(.error(to: join, reason: "join crashed"))
            return
        }
        switch outcome {
        case .refused(let response):
            statistics.increment(.joinsRefused)
            output.reply(PhoenixReply(joinRef: joinRef, ref: join.ref, topic: join.topic, status: .error, response: .json(response)))
        case .joined(let pid, let response, let intercepts):
            machine.joined(topic: join.topic, joinRef: joinRef, handle: pid)
            Fastlane.subscribe(pid, to: join.topic, output: output, intercepts: intercepts, in: pubsub)
            output.reply(PhoenixReply(joinRef: joinRef, ref: join.ref, topic: join.topic, status: .ok, response: .json(response)))
            pid.send(.afterJoin)
        }
    }

    /// A channel's exit becomes `phx_error` (abnormal) or `phx_close`; the late exit of a channel a
    /// rejoin replaced is ignored; an abnormal exit signal from any other linked process ends the
    /// socket, as it would without trapping.
    public mutating func handleSignal(_ signal: Signal, context: ProcessContext<SocketMessage>) {
        guard case .exit(let from, let reason) = signal else { return }
        let action = machine.channelExited(abnormal: !reason.isOrderly) { $0.id == from }
        if case .ignore(.unknownChannel) = action {
            if !reason.isNormal { context.stop(reason) }
            return
        }
        if case .push(let push) = action, push.event == PhoenixEvent.error { statistics.increment(.channelCrashes) }
        perform(action, context: context)
    }

    /// Shuts every channel down and closes the connection (idempotent).
    public mutating func terminate(reason: ExitReason, context: ProcessContext<SocketMessage>) {
        for channel in machine.close() { context.exit(channel.id, reason: .shutdown) }
        output.close(code: reason.isOrderly ? .normal : .internalError, reason: reason.isOrderly ? "socket closed" : "socket crashed")
    }

    /// `"socket"`.
    public static var kind: String { "socket" }
}
