import NIOCore
import SiteflowRealtime
import SiteflowRuntimeTesting
import Synchronization

/// What a ``RecordingEndpoint`` saw.
enum EndpointEvent: Sendable {
    case connected(ConnectionRequest, any TransportConnection)
    case received(TransportFrame)
    case closed(code: TransportCloseCode?, reason: String)
}

/// A real `SocketEndpoint` for the specs: records every connection, frame and close, and
/// answers as configured (echo every frame, refuse, or stay silent).
final class RecordingEndpoint: SocketEndpoint {
    enum Mode: Sendable {
        /// Accept and send every received frame back.
        case echo
        /// Accept and send nothing.
        case silent
        /// Refuse with this status and reason.
        case refuse(status: Int, reason: String)
        /// Accept; on each received frame, send `count` frames at once and record how many
        /// `send` accepted (as a text frame `"accepted N"` pushed to `events`).
        case flood(count: Int)
        /// Accept, report consumption, and consume nothing until ``RecordingEndpoint/release()``
        /// (a stalled socket process); frames are counted, not recorded.
        case stalled
    }

    /// The counters the transport reports to (as a ``RealtimeEndpoint``'s).
    let statistics = SocketStatistics()
    var transportStatistics: SocketStatistics? { statistics }

    let events = EventQueue<EndpointEvent>()
    private let sessions = Mutex<[RecordingSession]>([])
    private let mode: Mode
    private let subprotocol: @Sendable ([String]) -> String?

    init(_ mode: Mode = .echo, subprotocol: @escaping @Sendable ([String]) -> String? = { _ in nil }) {
        self.mode = mode
        self.subprotocol = subprotocol
    }

    func connect(_ request: ConnectionRequest, connection: any TransportConnection) -> ConnectionDecision {
        switch mode {
        case .refuse(let status, let reason):
            return .refuse(status: status, reason: reason)
        case .echo, .silent, .flood, .stalled:
            events.push(.connected(request, connection))
            let session = RecordingSession(events: events, connection: connection, mode: mode)
            sessions.withLock { $0.append(session) }
            return .accept(subprotocol: subprotocol(request.subprotocols), session: session)
        }
    }

    /// Stalled sessions consume what they hold and, from now on, each frame as it arrives.
    func release() {
        for session in sessions.withLock({ $0 }) { session.release() }
    }

    /// Payload bytes the sessions were handed and have not consumed.
    var unconsumedBytes: Int {
        sessions.withLock { $0.reduce(0) { $0 + $1.unconsumedBytes } }
    }

    /// Payload bytes the sessions were handed in total.
    var receivedBytes: Int {
        sessions.withLock { $0.reduce(0) { $0 + $1.receivedBytes } }
    }

    /// How many times each accepted session was told `transportClosed`, in connection order.
    var closeCounts: [Int] {
        sessions.withLock { $0.map(\.closeCount) }
    }

    /// The next event, failing the spec after a generous safety timeout.
    func next() async throws -> EndpointEvent {
        try await events.next(within: .seconds(20))
    }

    /// Waits for the next connection and returns its request and transport connection.
    func nextConnection() async throws -> (ConnectionRequest, any TransportConnection) {
        while true {
            if case .connected(let request, let connection) = try await next() { return (request, connection) }
        }
    }

    /// Waits for the next received frame.
    func nextFrame() async throws -> TransportFrame {
        while true {
            if case .received(let frame) = try await next() { return frame }
        }
    }

    /// Waits for the next close.
    func nextClose() async throws -> (code: TransportCloseCode?, reason: String) {
        while true {
            if case .closed(let code, let reason) = try await next() { return (code, reason) }
        }
    }
}

/// The session of a ``RecordingEndpoint``; counts its `transportClosed` calls.
final class RecordingSession: TransportSession {
    private let events: EventQueue<EndpointEvent>
    private let connection: any TransportConnection
    private let mode: RecordingEndpoint.Mode
    private let closes = Atomic<Int>(0)
    private struct Consumption {
        var released = false
        var unconsumed = 0
        var received = 0
    }
    private let consumption = Mutex(Consumption())

    var reportsConsumption: Bool {
        if case .stalled = mode { return true }
        return false
    }

    var unconsumedBytes: Int { consumption.withLock { $0.unconsumed } }
    var receivedBytes: Int { consumption.withLock { $0.received } }

    /// Consumes what is held, and from now on each frame as it arrives.
    func release() {
        let held = consumption.withLock { state -> Int in
            state.released = true
            defer { state.unconsumed = 0 }
            return state.unconsumed
        }
        if held > 0 { connection.inboundConsumed(byteCount: held) }
    }

    init(events: EventQueue<EndpointEvent>, connection: any TransportConnection, mode: RecordingEndpoint.Mode) {
        self.events = events
        self.connection = connection
        self.mode = mode
    }

    var closeCount: Int { closes.load(ordering: .relaxed) }

    func received(_ frame: TransportFrame) {
        switch mode {
        case .echo:
            events.push(.received(frame))
            _ = connection.send(frame)
        case .flood(let count):
            var accepted = 0
            for index in 0..<count where connection.send(.text(ByteBuffer(string: "frame \(index)"))) {
                accepted += 1
            }
            events.push(.received(.text(ByteBuffer(string: "accepted \(accepted)"))))
        case .silent, .refuse:
            events.push(.received(frame))
        case .stalled:
            let size: Int
            switch frame {
            case .text(let bytes), .binary(let bytes): size = bytes.readableBytes
            }
            let consumeNow = consumption.withLock { state -> Bool in
                state.received += size
                if !state.released { state.unconsumed += size }
                return state.released
            }
            if consumeNow { connection.inboundConsumed(byteCount: size) }
        }
    }

    func transportClosed(code: TransportCloseCode?, reason: String) {
        let count = closes.add(1, ordering: .relaxed).newValue
        // A second call would be a bug: record it as a distinct, obviously wrong event.
        events.push(.closed(code: count == 1 ? code : TransportCloseCode(rawValue: 0), reason: count == 1 ? reason : "transportClosed called \(count) times"))
    }
}
