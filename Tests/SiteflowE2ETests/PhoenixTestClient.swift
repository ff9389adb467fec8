import NIOCore
import NIOPosix
import SiteflowLoadTest
import SiteflowRealtime
import Synchronization

/// A V2 JSON Phoenix client over a real WebSocket, for end-to-end tests: send frames, and await
/// the frames the server sends (replies by ref, pushes by event), with a deadline.
final class PhoenixTestClient: WebSocketClientDelegate, Sendable {
    /// One server frame `[join_ref, ref, topic, event, payload]`.
    struct Frame: Sendable {
        let joinRef: String?
        let ref: String?
        let topic: String
        let event: String
        let payload: JSONValue
    }

    enum Failure: Error, CustomStringConvertible {
        case timedOut(String)
        case closed(UInt16?, String)
        var description: String {
            switch self {
            case .timedOut(let what): return "timed out waiting for \(what)"
            case .closed(let code, let reason): return "the connection closed (\(code.map(String.init) ?? "no close frame")): \(reason)"
            }
        }
    }

    private let frames = AsyncStream<Frame>.makeStream()
    private let closure = Mutex<(code: UInt16?, reason: String)?>(nil)
    private let connection = Mutex<WebSocketClientConnection?>(nil)
    private let nextRef = Atomic<Int>(100)
    private let group: MultiThreadedEventLoopGroup

    private init(group: MultiThreadedEventLoopGroup) { self.group = group }

    /// Connects to `port` on 127.0.0.1 with `query` (e.g. `vsn=2.0.0`).
    static func connect(port: Int, query: String = "vsn=2.0.0") async throws -> PhoenixTestClient {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = PhoenixTestClient(group: group)
        let connection = try await WebSocketClient.connect(
            host: "127.0.0.1", port: port, target: "/socket/websocket?\(query)", on: group, delegate: client).get()
        client.connection.withLock { $0 = connection }
        return client
    }

    /// Sends a frame; returns its ref.
    @discardableResult
    func push(joinRef: String?, topic: String, event: String, payload: JSONValue, ref: String? = nil) -> String {
        let ref = ref ?? String(nextRef.wrappingAdd(1, ordering: .relaxed).newValue)
        let frame: JSONValue = [joinRef.map(JSONValue.string) ?? .null, .string(ref), .string(topic), .string(event), payload]
        sendRaw(String(buffer: frame.encoded()))
        return ref
    }

    /// Sends text as it is (for malformed-input tests).
    func sendRaw(_ text: String) {
        connection.withLock { $0 }?.sendText(text)
    }

    /// The next frame matching `predicate` (earlier non-matching frames are dropped).
    func next(_ what: String, within timeout: Duration = .seconds(10), where predicate: @escaping @Sendable (Frame) -> Bool) async throws -> Frame {
        let stream = frames.stream
        let found = try await withThrowingTaskGroup(of: Frame?.self) { group in
            group.addTask {
                for await frame in stream where predicate(frame) { return frame }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let found { return found }
        if let closed = closure.withLock({ $0 }) { throw Failure.closed(closed.code, closed.reason) }
        throw Failure.timedOut(what)
    }

    /// The reply to the push with `ref`.
    func reply(to ref: String) async throws -> Frame {
        try await next("the reply to \(ref)") { $0.event == "phx_reply" && $0.ref == ref }
    }

    /// Joins `topic` and returns the reply's payload (`{"status", "response"}`).
    func join(_ topic: String, payload: JSONValue = .emptyObject) async throws -> (joinRef: String, reply: JSONValue) {
        let ref = push(joinRef: nil, topic: topic, event: "phx_join", payload: payload)
        let answer = try await reply(to: ref)
        return (ref, answer.payload)
    }

    func close() {
        connection.withLock { $0 }?.close()
        try? group.syncShutdownGracefully()
    }

    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {
        guard case .text(let buffer) = message, let value = try? JSONValue(parsing: buffer),
              case .array(let parts) = value, parts.count == 5,
              let topic = parts[2].stringValue, let event = parts[3].stringValue else { return }
        frames.continuation.yield(Frame(joinRef: parts[0].stringValue, ref: parts[1].stringValue, topic: topic, event: event, payload: parts[4]))
    }

    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {
        closure.withLock { $0 = (code, reason) }
        frames.continuation.finish()
    }
}
