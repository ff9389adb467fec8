import NIOCore
import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
import Synchronization
import Testing

/// What a recording connection saw.
enum ConnectionEvent: Sendable, Equatable {
    case frame(TransportFrame)
    case closed(TransportCloseCode, String)
}

/// A test-only transport connection: records frames and the close; refuses frames past
/// `capacity` (a slow consumer) when given one.
final class RecordingConnection: TransportConnection {
    let events = EventQueue<ConnectionEvent>()
    private let state = Mutex<(sent: Int, closed: Bool)>((0, false))
    let capacity: Int?

    init(capacity: Int? = nil) { self.capacity = capacity }

    func send(_ frame: TransportFrame) -> Bool {
        let accepted = state.withLock { state -> Bool in
            if state.closed { return false }
            if let capacity, state.sent >= capacity { return false }
            state.sent += 1
            return true
        }
        if accepted { events.push(.frame(frame)) }
        return accepted
    }

    var isClosing: Bool { state.withLock { $0.closed } }

    /// The client closes the connection (as a transport sees a close frame or a reset): frames
    /// are refused from now on; the socket learns it only when the test says so.
    func closedByClient() {
        state.withLock { $0.closed = true }
    }

    func close(code: TransportCloseCode, reason: String) {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        if first { events.push(.closed(code, reason)) }
    }

    /// The next event.
    func next() async throws -> ConnectionEvent { try await events.next(within: .seconds(10)) }

    /// The next frame as JSON (text frames); fails on a close or a binary frame.
    func nextJSON() async throws -> JSONValue {
        switch try await next() {
        case .frame(.text(let buffer)): return try JSONValue(parsing: buffer)
        case let other: throw TestError("expected a text frame, got \(other)")
        }
    }

    /// The next frame's bytes, binary expected.
    func nextBinary() async throws -> [UInt8] {
        switch try await next() {
        case .frame(.binary(let buffer)): return Array(buffer.readableBytesView)
        case let other: throw TestError("expected a binary frame, got \(other)")
        }
    }

    /// The next event, which must be a close.
    func nextClose() async throws -> (TransportCloseCode, String) {
        switch try await next() {
        case .closed(let code, let reason): return (code, reason)
        case let other: throw TestError("expected a close, got \(other)")
        }
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A channel for tests: `echo` replies with the payload, `crash` throws, `stop` stops normally,
/// `push` pushes `pushed`, `shout` broadcasts, `shout_from` broadcasts from, `noreply` does not reply.
/// A join with `{"deny": true}` is refused; `{"crash": true}` throws.
struct EchoChannel: SiteflowRealtime.Channel {
    static var intercepts: Set<String> { ["filtered"] }
    var presence: Presence?
    var joinedTopic = ""

    mutating func join(topic: String, payload: JSONValue, socket: inout ChannelSocket) throws -> ChannelJoinResult {
        if payload["crash"] == .bool(true) { throw TestError("join crashed on purpose") }
        if payload["deny"] == .bool(true) { return .refuse("unauthorized") }
        joinedTopic = topic
        return .ok(["joined": .string(topic)])
    }

    mutating func afterJoin(socket: inout ChannelSocket) throws {
        guard let presence, let id = socket.channelID else { return }
        let user = socket.assigns.get("user", as: String.self) ?? "anonymous"
        presence.track(id, topic: socket.topic, key: user, meta: JSONObject([(key: "device", value: "test")]))
        socket.push("presence_state", presence.state(of: socket.topic))
    }

    mutating func handleIn(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws -> ChannelReplyAction {
        switch event {
        case "echo": return .reply(.ok, payload)
        case "crash": throw TestError("channel crashed on purpose")
        case "stop": return .stop(.normal, reply: (.ok, .empty))
        case "push":
            socket.push("pushed", payload)
            return .noReply
        case "shout":
            socket.broadcast("shouted", payload)
            return .ok()
        case "shout_from":
            socket.broadcastFrom("shouted", payload)
            return .ok()
        case "noreply": return .noReply
        case "later":
            socket.channel?.send(.info(payload))
            return .noReply
        default: return .error("unknown event")
        }
    }

    mutating func handleInfo(_ message: any Sendable, socket: inout ChannelSocket) throws {
        if let payload = message as? PhoenixPayload { socket.push("info", payload) }
    }

    mutating func handleOut(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws {
        if case .json(let value) = payload, value["secret"] != nil { return }
        socket.push(event, payload)
    }
}

/// A runtime, PubSub, endpoint and manual clock for one test.
struct Harness {
    let runtime: Runtime
    let pubsub: PubSub
    let endpoint: RealtimeEndpoint
    let clock: ManualClock
    let presence: Presence

    static func make(
        configuration: SocketConfiguration = SocketConfiguration(),
        connect: @escaping @Sendable (SocketConnectRequest) -> SocketConnectResult = { request in
            .accept(Assigns(["user": request.params["user"] ?? "anonymous"]))
        },
        routes: (inout ChannelRouter) -> Void = { _ in }
    ) -> Harness {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        let statistics = SocketStatistics()
        let pubsub = PubSub(runtime: runtime, dispatcher: ChannelDispatcher(statistics: statistics))
        let presence = Presence(runtime: runtime, pubsub: pubsub, node: "test")
        var router = ChannelRouter()
        router.channel("room:*") { EchoChannel() }
        router.channel("presence:*") { EchoChannel(presence: presence) }
        routes(&router)
        let clock = ManualClock(start: 0)
        let endpoint = RealtimeEndpoint(runtime: runtime, definition: SocketDefinition(router: router, connect: connect),
                                        pubsub: pubsub, configuration: configuration, statistics: statistics, clock: clock)
        return Harness(runtime: runtime, pubsub: pubsub, endpoint: endpoint, clock: clock, presence: presence)
    }

    /// Connects a recording client; fails if refused.
    func connect(vsn: String? = "2.0.0", params: [String: String] = [:], capacity: Int? = nil) throws -> Client {
        let connection = RecordingConnection(capacity: capacity)
        var query = params
        if let vsn { query["vsn"] = vsn }
        let request = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: query)
        switch endpoint.connect(request, connection: connection) {
        case .accept(_, let session): return Client(connection: connection, session: session)
        case .refuse(let status, let reason): throw TestError("refused \(status): \(reason)")
        }
    }

    func shutdown() { runtime.shutdown() }
}

/// One connected test client.
struct Client {
    let connection: RecordingConnection
    let session: any TransportSession

    func send(_ text: String) {
        session.received(.text(ByteBuffer(string: text)))
    }

    func sendBinary(_ bytes: [UInt8]) {
        session.received(.binary(ByteBuffer(bytes: bytes)))
    }

    func nextJSON() async throws -> JSONValue { try await connection.nextJSON() }
    func nextClose() async throws -> (TransportCloseCode, String) { try await connection.nextClose() }

    /// Sends a heartbeat with `ref` and waits for its reply: every earlier frame's effects on the
    /// socket are done by then (the socket handles frames in order).
    func sync(ref: String = "sync") async throws {
        send(#"[null,"\#(ref)","phoenix","heartbeat",{}]"#)
        let reply = try await nextJSON()
        guard reply == [nil, .string(ref), "phoenix", "phx_reply", ["status": "ok", "response": [:]]] else {
            throw TestError("expected the heartbeat reply, got \(reply)")
        }
    }
}

/// `[join_ref, ref, topic, "phx_reply", {"status": status, "response": response}]`.
func v2Reply(_ joinRef: String?, _ ref: String?, _ topic: String, _ status: String, _ response: JSONValue) -> JSONValue {
    [joinRef.map { .string($0) } ?? nil, ref.map { .string($0) } ?? nil, .string(topic), "phx_reply",
     ["status": .string(status), "response": response]]
}
