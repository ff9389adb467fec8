import NIOCore

/// One simulated chat user: joins the topic, pushes `new_msg` when its driver says so, and
/// measures the round trip to its own broadcast and to the reply.
///
/// Every push carries `"body":"lt <client> <seq> <sent-at-ns>"`, so the broadcast alone tells the
/// sender its latency; replies are matched by `ref` through a small ring of send times.
final class LoadTestClient: WebSocketClientDelegate, @unchecked Sendable {
    // @unchecked Sendable: all mutable state is touched only on the connection's event loop
    // (delegate callbacks and the driver's ticks run there).
    let index: Int
    private let topic: String
    private let statistics: LoadTestStatistics
    private let onJoined: (LoadTestClient) -> Void
    private(set) var connection: WebSocketClientConnection?
    private(set) var isJoined = false
    private var nextRef: UInt64 = 1
    private var joinRef: UInt64 = 0
    private var sendTimes = [UInt64](repeating: 0, count: 64)
    private var stopping = false

    init(index: Int, topic: String, statistics: LoadTestStatistics, onJoined: @escaping (LoadTestClient) -> Void) {
        self.index = index
        self.topic = topic
        self.statistics = statistics
        self.onJoined = onJoined
    }

    /// Sends the join. Event loop only.
    func start(_ connection: WebSocketClientConnection) {
        self.connection = connection
        joinRef = nextRef
        nextRef += 1
        connection.sendText("[\"\(joinRef)\",\"\(joinRef)\",\"\(topic)\",\"phx_join\",{\"nickname\":\"lt\(index)\"}]")
    }

    /// Pushes one `new_msg`. Event loop only.
    func push() {
        guard let connection, isJoined else { return }
        let ref = nextRef
        nextRef += 1
        let now = NIODeadline.now().uptimeNanoseconds
        sendTimes[Int(ref % 64)] = now
        var frame = ByteBuffer()
        frame.reserveCapacity(96 + topic.utf8.count)
        frame.writeStaticString("[\"")
        frame.writeString(String(joinRef))
        frame.writeStaticString("\",\"")
        frame.writeString(String(ref))
        frame.writeStaticString("\",\"")
        frame.writeString(topic)
        frame.writeStaticString("\",\"new_msg\",{\"body\":\"lt ")
        frame.writeString(String(index))
        frame.writeStaticString(" ")
        frame.writeString(String(ref))
        frame.writeStaticString(" ")
        frame.writeString(String(now))
        frame.writeStaticString("\"}]")
        connection.sendText(frame)
        statistics.update { $0.sent += 1 }
    }

    /// Sends a heartbeat. Event loop only.
    func heartbeat() {
        guard let connection else { return }
        let ref = nextRef
        nextRef += 1
        connection.sendText("[null,\"\(ref)\",\"phoenix\",\"heartbeat\",{}]")
    }

    /// Closes the connection. Event loop only.
    func stop() {
        stopping = true
        connection?.close(code: 1000, reason: "load test over")
    }

    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {
        guard case .text(let buffer) = message else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        buffer.withUnsafeReadableBytes { bytes in
            guard let frame = V2FrameScanner(bytes) else { return }
            if V2FrameScanner.bytes(bytes, in: frame.event, equal: "phx_reply") {
                handleReply(frame, bytes: bytes, now: now)
            } else if V2FrameScanner.bytes(bytes, in: frame.event, equal: "new_msg") {
                handleBroadcast(frame, bytes: bytes, now: now)
            }
        }
    }

    private func handleReply(_ frame: V2FrameScanner, bytes: UnsafeRawBufferPointer, now: UInt64) {
        guard let refRange = frame.ref, let ref = V2FrameScanner.integer(bytes, in: refRange) else { return }
        let ok = V2FrameScanner.find("\"status\":\"ok\"", in: bytes, within: frame.payload) != nil
        if ref == joinRef, !isJoined {
            if ok {
                isJoined = true
                statistics.update { $0.joined += 1 }
                onJoined(self)
            } else {
                statistics.update { $0.joinErrors += 1 }
            }
            return
        }
        guard ref > joinRef, ref + 64 > nextRef else {
            statistics.recordReply(micros: nil, ok: ok)
            return
        }
        let sentAt = sendTimes[Int(ref % 64)]
        statistics.recordReply(micros: sentAt > 0 && now > sentAt ? (now - sentAt) / 1000 : nil, ok: ok)
    }

    private func handleBroadcast(_ frame: V2FrameScanner, bytes: UnsafeRawBufferPointer, now: UInt64) {
        guard let stamp = PushStamp(in: bytes, payload: frame.payload), now > stamp.sentAt else {
            statistics.update { $0.received += 1 }
            return
        }
        statistics.recordBroadcast(micros: (now - stamp.sentAt) / 1000, isOwn: stamp.client == UInt64(index))
    }

    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {
        let wasJoined = isJoined
        isJoined = false
        if wasJoined, !stopping {
            statistics.update { $0.closedByServer += 1 }
        }
    }
}
