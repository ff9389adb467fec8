import NIOCore

/// One simulated chat user that behaves as phoenix.js does when the server goes away: it
/// reconnects on the ``PhoenixBackoff`` reconnect schedule, rejoins at once when its socket
/// opens (presenting its nickname token), and retries a refused or unanswered join on the rejoin
/// schedule. Its keyed `new_msg` pushes are kept until acknowledged with `{"id"}` or refused for
/// good, and resent with the same key after every rejoin (and after an `unavailable` reply or a
/// 10 s push timeout).
///
/// All state is confined to the client's event loop: connection callbacks, timers and the
/// driver's ticks and sweeps run there.
final class RecoveryClient: WebSocketClientDelegate, @unchecked Sendable {
    // @unchecked Sendable: every `var` below is touched only on `eventLoop`.
    struct Endpoint: Sendable {
        var host: String
        var port: Int
        var target: String
        var headers: [(name: String, value: String)]
        var sourceAddress: String?
    }

    private enum Phase {
        /// No socket; a reconnect is scheduled.
        case down
        /// A socket is being opened.
        case connecting
        /// The join is sent; its reply is awaited.
        case joining
        /// The socket is open, the channel is not joined; a rejoin is scheduled.
        case waitingToRejoin
        /// Joined: pushes go out as they are made.
        case joined
        /// The run is over.
        case stopped
    }

    private struct Pending {
        var body: String
        var sends = 0
        /// When it was last sent on the current socket (0: not sent there yet).
        var sentAt: UInt64 = 0
        /// Resend from this instant (after an `unavailable` reply).
        var retryAt: UInt64?
    }

    let index: Int
    let topic: String
    let eventLoop: any EventLoop
    private let nickname: String
    private let runID: String
    private let endpoint: Endpoint
    private let recorder: RecoveryRecorder
    private var phase = Phase.down
    private var connection: WebSocketClientConnection?
    private var hasConnected = false
    private var hasJoined = false
    private var reconnectTries = 0
    private var rejoinTries = 0
    private var retry: Scheduled<Void>?
    private var token: String?
    private var nextRef: UInt64 = 1
    private var joinRef: UInt64 = 0
    private var joinSentAt: UInt64 = 0
    private var heartbeatRef: UInt64?
    private var lastHeartbeatAt: UInt64 = 0
    private var sequence = 0
    private var pending: [String: Pending] = [:]
    private var inFlight: [UInt64: String] = [:]

    init(index: Int, topic: String, nickname: String, runID: String, endpoint: Endpoint, eventLoop: any EventLoop, recorder: RecoveryRecorder) {
        self.index = index
        self.topic = topic
        self.nickname = nickname
        self.runID = runID
        self.endpoint = endpoint
        self.eventLoop = eventLoop
        self.recorder = recorder
    }

    private static var now: UInt64 { NIODeadline.now().uptimeNanoseconds }
    private static let pushTimeout = UInt64(PhoenixBackoff.pushTimeout.components.seconds) * 1_000_000_000
    private static let heartbeatInterval = UInt64(PhoenixBackoff.heartbeatInterval.components.seconds) * 1_000_000_000

    /// Messages not yet acknowledged or refused.
    var pendingCount: Int { pending.count }

    // MARK: Socket

    /// Opens the socket; the future completes when the attempt has (either way). Event loop only.
    @discardableResult
    func connect() -> EventLoopFuture<Void> {
        guard phase == .down else { return eventLoop.makeSucceededVoidFuture() }
        phase = .connecting
        return WebSocketClient.connect(
            host: endpoint.host, port: endpoint.port, target: endpoint.target, headers: endpoint.headers,
            sourceAddress: endpoint.sourceAddress, on: eventLoop, delegate: self
        ).map { connection in
            self.opened(connection)
        }.recover { _ in
            self.recorder.connectFailed()
            guard self.phase == .connecting else { return }
            self.phase = .down
            self.scheduleReconnect()
        }
    }

    private func opened(_ connection: WebSocketClientConnection) {
        guard phase == .connecting else {
            connection.close(code: 1000, reason: "load test over")
            return
        }
        self.connection = connection
        recorder.opened(reconnect: hasConnected)
        hasConnected = true
        // phoenix.js: the socket's open resets the reconnect tries and the channel's rejoin timer,
        // and an errored channel rejoins at once.
        reconnectTries = 0
        rejoinTries = 0
        heartbeatRef = nil
        lastHeartbeatAt = Self.now
        sendJoin()
    }

    private func scheduleReconnect() {
        reconnectTries += 1
        let delay = PhoenixBackoff.reconnectAfter(tries: reconnectTries)
        retry = eventLoop.scheduleTask(in: .nanoseconds(Int64(delay.components.seconds) * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)) {
            self.connect()
        }
    }

    private func scheduleRejoin() {
        rejoinTries += 1
        let delay = PhoenixBackoff.rejoinAfter(tries: rejoinTries)
        retry = eventLoop.scheduleTask(in: .nanoseconds(Int64(delay.components.seconds) * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)) {
            guard self.phase == .waitingToRejoin, self.connection != nil else { return }
            self.sendJoin()
        }
    }

    private func sendJoin() {
        guard let connection else { return }
        joinRef = nextRef
        nextRef += 1
        phase = .joining
        joinSentAt = Self.now
        var payload = "{\"nickname\":\"\(nickname)\""
        if let token { payload += ",\"token\":\"\(token)\"" }
        payload += "}"
        connection.sendText("[\"\(joinRef)\",\"\(joinRef)\",\"\(topic)\",\"phx_join\",\(payload)]")
    }

    /// The channel stopped being joined (socket closed, channel crashed): every push in flight
    /// waits for the next join.
    private func leftJoined() {
        if phase == .joined { recorder.wentDown(index, at: Self.now) }
        inFlight.removeAll()
        for key in pending.keys { pending[key]?.sentAt = 0 }
    }

    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {
        guard connection === self.connection else { return }
        self.connection = nil
        guard phase != .stopped else { return }
        leftJoined()
        retry?.cancel()
        phase = .down
        // phoenix.js reconnects after any close but a clean one (1000).
        if code == 1000 {
            recorder.closedNormallyByServer()
            return
        }
        scheduleReconnect()
    }

    // MARK: Pushes

    /// Makes one keyed message and sends it if joined (else it waits for the join). Event loop only.
    func push() {
        guard phase != .stopped else { return }
        sequence += 1
        let key = RecoveryMessage.key(run: runID, client: index, sequence: sequence)
        pending[key] = Pending(body: RecoveryMessage.body(client: index, sequence: sequence, createdAt: Self.now, key: key))
        recorder.created()
        if phase == .joined { send(key) }
    }

    private func send(_ key: String) {
        guard let connection, var message = pending[key] else { return }
        let ref = nextRef
        nextRef += 1
        inFlight[ref] = key
        recorder.sent(resend: message.sends > 0)
        message.sends += 1
        message.sentAt = Self.now
        message.retryAt = nil
        pending[key] = message
        var frame = ByteBuffer()
        frame.reserveCapacity(128 + topic.utf8.count)
        frame.writeStaticString("[\"")
        frame.writeString(String(joinRef))
        frame.writeStaticString("\",\"")
        frame.writeString(String(ref))
        frame.writeStaticString("\",\"")
        frame.writeString(topic)
        frame.writeStaticString("\",\"new_msg\",{\"body\":\"")
        frame.writeString(message.body)
        frame.writeStaticString("\",\"key\":\"")
        frame.writeString(key)
        frame.writeStaticString("\"}]")
        connection.sendText(frame)
    }

    /// Once a second: join and push timeouts, `unavailable` retries, heartbeats. Event loop only.
    func sweep() {
        let now = Self.now
        switch phase {
        case .joining where now - joinSentAt >= Self.pushTimeout:
            recorder.joinTimedOut()
            phase = .waitingToRejoin
            scheduleRejoin()
        case .joined:
            for (key, message) in pending where message.sentAt == 0 && message.retryAt.map({ $0 <= now }) ?? true
                || message.sentAt > 0 && now - message.sentAt >= Self.pushTimeout {
                send(key)
            }
        default:
            break
        }
        guard let connection, now - lastHeartbeatAt >= Self.heartbeatInterval else { return }
        if heartbeatRef != nil {
            // phoenix.js: a heartbeat unanswered by the next one closes the socket and reconnects.
            heartbeatRef = nil
            connection.disconnect()
            return
        }
        let ref = nextRef
        nextRef += 1
        heartbeatRef = ref
        lastHeartbeatAt = now
        connection.sendText("[null,\"\(ref)\",\"phoenix\",\"heartbeat\",{}]")
    }

    /// Ends the run for this client: no more retries, the socket closed with 1000. Event loop only.
    func stop() {
        phase = .stopped
        retry?.cancel()
        connection?.close(code: 1000, reason: "load test over")
    }

    // MARK: Receiving

    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {
        guard connection === self.connection, case .text(let buffer) = message else { return }
        buffer.withUnsafeReadableBytes { bytes in
            guard let frame = V2FrameScanner(bytes) else { return }
            if V2FrameScanner.bytes(bytes, in: frame.event, equal: "phx_reply") {
                handleReply(frame, bytes: bytes)
            } else if V2FrameScanner.bytes(bytes, in: frame.event, equal: "phx_error"), phase == .joined || phase == .joining,
                let joinRange = frame.joinRef, V2FrameScanner.integer(bytes, in: joinRange) == joinRef {
                // The channel crashed on the server: phoenix.js rejoins on its schedule.
                leftJoined()
                phase = .waitingToRejoin
                scheduleRejoin()
            }
        }
    }

    private func handleReply(_ frame: V2FrameScanner, bytes: UnsafeRawBufferPointer) {
        guard let refRange = frame.ref, let ref = V2FrameScanner.integer(bytes, in: refRange) else { return }
        let ok = V2FrameScanner.find("\"status\":\"ok\"", in: bytes, within: frame.payload) != nil
        if ref == joinRef, phase == .joining {
            if ok {
                phase = .joined
                rejoinTries = 0
                if let found = Self.string(after: "\"token\":\"", in: bytes, within: frame.payload) { token = found }
                recorder.joined(index, at: Self.now, rejoin: hasJoined)
                hasJoined = true
                // Everything unacknowledged goes out again, in key (creation) order.
                inFlight.removeAll()
                for key in pending.keys.sorted() { send(key) }
            } else {
                recorder.joinRefused(Self.string(after: "\"reason\":\"", in: bytes, within: frame.payload) ?? "no reason")
                phase = .waitingToRejoin
                scheduleRejoin()
            }
            return
        }
        if ref == heartbeatRef {
            heartbeatRef = nil
            return
        }
        guard let key = inFlight.removeValue(forKey: ref), let message = pending[key] else { return }
        if ok {
            guard let id = Self.integer(after: "\"id\":", in: bytes, within: frame.payload) else { return }
            pending[key] = nil
            recorder.acknowledged(topic: topic, id: id, sentAt: message.sentAt, now: Self.now)
            return
        }
        let reason = Self.string(after: "\"reason\":\"", in: bytes, within: frame.payload) ?? "no reason"
        if reason == "unavailable" {
            recorder.unavailable()
            pending[key]?.sentAt = 0
            pending[key]?.retryAt = Self.now + 1_000_000_000
        } else {
            pending[key] = nil
            recorder.failedForGood(reason)
        }
    }

    /// The JSON string (without escapes) that follows `marker` in `range`.
    private static func string(after marker: StaticString, in bytes: UnsafeRawBufferPointer, within range: Range<Int>) -> String? {
        guard let found = V2FrameScanner.find(marker, in: bytes, within: range) else { return nil }
        var end = found.upperBound
        while end < range.upperBound, bytes[end] != UInt8(ascii: "\"") {
            if bytes[end] == UInt8(ascii: "\\") { return nil }
            end += 1
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[found.upperBound..<end]), as: UTF8.self)
    }

    /// The decimal integer that follows `marker` in `range`.
    private static func integer(after marker: StaticString, in bytes: UnsafeRawBufferPointer, within range: Range<Int>) -> Int? {
        guard let found = V2FrameScanner.find(marker, in: bytes, within: range) else { return nil }
        var end = found.upperBound
        while end < range.upperBound, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") { end += 1 }
        return V2FrameScanner.integer(bytes, in: found.upperBound..<end).map { Int($0) }
    }
}
