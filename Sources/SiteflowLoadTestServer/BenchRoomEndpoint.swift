import NIOCore
import SiteflowLoadTest
public import SiteflowRealtime
import Synchronization

/// A minimal stand-in for the chat channel, for measuring the transports alone: it speaks just
/// enough Phoenix V2 JSON for the load tester and the chat page (join with an empty history,
/// `new_msg` broadcast to the room, heartbeat, leave) with no process per socket.
///
/// It is not the real socket layer (no presence, no typing, no history): use it to measure the
/// server's transport and the load tester, and the real chat channel for end-to-end numbers.
public final class BenchRoomEndpoint: SocketEndpoint {
    private let rooms = Mutex<[String: [BenchRoomSession]]>([:])
    private let nextMessageID = Atomic<UInt64>(1)

    /// An endpoint with no rooms.
    public init() {}

    /// Accepts every connection.
    public func connect(_ request: ConnectionRequest, connection: any TransportConnection) -> ConnectionDecision {
        .accept(subprotocol: request.subprotocols.contains("phoenix") ? "phoenix" : nil, session: BenchRoomSession(endpoint: self, connection: connection))
    }

    /// How many sessions are joined to `topic`.
    public func memberCount(of topic: String) -> Int {
        rooms.withLock { $0[topic]?.count ?? 0 }
    }

    func join(_ session: BenchRoomSession, topic: String) {
        rooms.withLock { $0[topic, default: []].append(session) }
    }

    func leave(_ session: BenchRoomSession, topic: String) {
        rooms.withLock { rooms in
            guard var members = rooms[topic], let index = members.firstIndex(where: { $0 === session }) else { return }
            members.swapAt(index, members.count - 1)
            members.removeLast()
            rooms[topic] = members.isEmpty ? nil : members
        }
    }

    /// Encodes `[null,null,topic,"new_msg",{…}]` once and hands the same bytes to every member.
    func broadcast(topic: String, nickname: String, rawBody: ByteBuffer) {
        let id = nextMessageID.add(1, ordering: .relaxed).oldValue
        var frame = ByteBuffer()
        frame.reserveCapacity(96 + topic.utf8.count + nickname.utf8.count + rawBody.readableBytes)
        frame.writeStaticString("[null,null,\"")
        frame.writeString(topic)
        frame.writeStaticString("\",\"new_msg\",{\"id\":")
        frame.writeString(String(id))
        frame.writeStaticString(",\"nickname\":\"")
        frame.writeString(nickname)
        frame.writeStaticString("\",\"body\":")
        frame.writeImmutableBuffer(rawBody)
        frame.writeStaticString(",\"at\":\"1970-01-01T00:00:00Z\"}]")
        let members = rooms.withLock { $0[topic] ?? [] }
        let text = TransportFrame.text(frame)
        for member in members {
            _ = member.connection.send(text)
        }
    }
}

/// One connection of a ``BenchRoomEndpoint``.
final class BenchRoomSession: TransportSession {
    private struct Joined {
        var topic: String
        var joinRef: String
        var nickname: String
    }

    let connection: any TransportConnection
    private let endpoint: BenchRoomEndpoint
    private let joined = Mutex<Joined?>(nil)

    init(endpoint: BenchRoomEndpoint, connection: any TransportConnection) {
        self.endpoint = endpoint
        self.connection = connection
    }

    func received(_ frame: TransportFrame) {
        guard case .text(let buffer) = frame else { return }
        buffer.withUnsafeReadableBytes { bytes in
            guard let scanned = V2FrameScanner(bytes) else {
                connection.close(code: .unsupportedData, reason: "not a Phoenix V2 JSON frame")
                return
            }
            let ref = scanned.ref.map { String(decoding: bytes[$0], as: UTF8.self) }
            let joinRef = scanned.joinRef.map { String(decoding: bytes[$0], as: UTF8.self) }
            let topic = String(decoding: bytes[scanned.topic], as: UTF8.self)
            if V2FrameScanner.bytes(bytes, in: scanned.event, equal: "heartbeat") {
                reply(joinRef: nil, ref: ref, topic: topic, status: "ok", response: "{}")
            } else if V2FrameScanner.bytes(bytes, in: scanned.event, equal: "phx_join") {
                var nickname = "anonymous"
                if let key = V2FrameScanner.find("\"nickname\":\"", in: bytes, within: scanned.payload) {
                    var end = key.upperBound
                    while end < scanned.payload.upperBound, bytes[end] != UInt8(ascii: "\"") { end += 1 }
                    nickname = String(decoding: bytes[key.upperBound..<end], as: UTF8.self)
                }
                let previous = joined.withLock { state -> Joined? in
                    defer { state = Joined(topic: topic, joinRef: joinRef ?? ref ?? "", nickname: nickname) }
                    return state
                }
                if let previous { endpoint.leave(self, topic: previous.topic) }
                endpoint.join(self, topic: topic)
                reply(joinRef: joinRef, ref: ref, topic: topic, status: "ok", response: "{\"messages\":[]}")
            } else if V2FrameScanner.bytes(bytes, in: scanned.event, equal: "new_msg") {
                guard let state = joined.withLock({ $0 }), state.topic == topic else {
                    reply(joinRef: joinRef, ref: ref, topic: topic, status: "error", response: "{\"reason\":\"unmatched topic\"}")
                    return
                }
                var rawBody = ByteBuffer(string: "\"\"")
                if let key = V2FrameScanner.find("\"body\":", in: bytes, within: scanned.payload) {
                    var end = key.upperBound + 1
                    while end < scanned.payload.upperBound, bytes[end] != UInt8(ascii: "\"") {
                        end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    if end < scanned.payload.upperBound {
                        rawBody = ByteBuffer(bytes: bytes[key.upperBound...end])
                    }
                }
                reply(joinRef: joinRef, ref: ref, topic: topic, status: "ok", response: "{}")
                endpoint.broadcast(topic: topic, nickname: state.nickname, rawBody: rawBody)
            } else if V2FrameScanner.bytes(bytes, in: scanned.event, equal: "phx_leave") {
                let left = joined.withLock { state -> Joined? in
                    defer { if state?.topic == topic { state = nil } }
                    return state?.topic == topic ? state : nil
                }
                if left != nil { endpoint.leave(self, topic: topic) }
                reply(joinRef: joinRef, ref: ref, topic: topic, status: "ok", response: "{}")
            } else {
                reply(joinRef: joinRef, ref: ref, topic: topic, status: "error", response: "{\"reason\":\"unmatched topic\"}")
            }
        }
    }

    func transportClosed(code: TransportCloseCode?, reason: String) {
        if let state = joined.withLock({ state in defer { state = nil }; return state }) {
            endpoint.leave(self, topic: state.topic)
        }
    }

    private func reply(joinRef: String?, ref: String?, topic: String, status: StaticString, response: StaticString) {
        var frame = ByteBuffer()
        frame.writeStaticString("[")
        writeField(joinRef, into: &frame)
        frame.writeStaticString(",")
        writeField(ref, into: &frame)
        frame.writeStaticString(",\"")
        frame.writeString(topic)
        frame.writeStaticString("\",\"phx_reply\",{\"status\":\"")
        frame.writeStaticString(status)
        frame.writeStaticString("\",\"response\":")
        frame.writeStaticString(response)
        frame.writeStaticString("}]")
        _ = connection.send(.text(frame))
    }

    private func writeField(_ value: String?, into frame: inout ByteBuffer) {
        guard let value else {
            frame.writeStaticString("null")
            return
        }
        frame.writeStaticString("\"")
        frame.writeString(value)
        frame.writeStaticString("\"")
    }
}
