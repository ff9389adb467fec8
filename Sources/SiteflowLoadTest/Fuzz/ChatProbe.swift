import NIOCore

/// A well-behaved chat client: joins a room, pushes `new_msg` with body `probe <client> <seq>`
/// when told, and records in its ``ChatLedger`` which pushes were acknowledged and which
/// broadcasts it received.
final class ChatProbe: WebSocketClientDelegate, @unchecked Sendable {
    // @unchecked Sendable: mutable state is touched only on the connection's event loop.
    private let index: Int
    private let topic: String
    private let ledger: ChatLedger?
    /// Completes with `true` when the join is answered `ok`, `false` otherwise.
    let joined: EventLoopPromise<Bool>
    private var connection: WebSocketClientConnection?
    private var nextRef = 2
    private var sequences: [Int: Int] = [:]
    private var sequence = 0
    private var stopping = false
    private var joinAnswered = false

    init(index: Int, topic: String, ledger: ChatLedger?, eventLoop: any EventLoop) {
        self.index = index
        self.topic = topic
        self.ledger = ledger
        joined = eventLoop.makePromise(of: Bool.self)
    }

    /// Sends the join. Event loop only.
    func start(_ connection: WebSocketClientConnection) {
        self.connection = connection
        connection.sendText(#"["1","1","\#(topic)","phx_join",{"nickname":"probe\#(index)"}]"#)
    }

    /// Pushes the next message. Event loop only.
    func push() {
        guard let connection, !stopping else { return }
        sequence += 1
        let ref = nextRef
        nextRef += 1
        sequences[ref] = sequence
        ledger?.sent()
        connection.sendText(#"["1","\#(ref)","\#(topic)","new_msg",{"body":"probe \#(index) \#(sequence)"}]"#)
    }

    /// Closes the connection. Event loop only.
    func stop() {
        stopping = true
        connection?.close(code: 1000, reason: "campaign over")
    }

    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {
        guard case .text(let buffer) = message else { return }
        buffer.withUnsafeReadableBytes { bytes in
            guard let frame = V2FrameScanner(bytes) else { return }
            if V2FrameScanner.bytes(bytes, in: frame.event, equal: "phx_reply") {
                guard let refRange = frame.ref, let ref = V2FrameScanner.integer(bytes, in: refRange) else { return }
                let ok = V2FrameScanner.find("\"status\":\"ok\"", in: bytes, within: frame.payload) != nil
                if ref == 1 {
                    answerJoin(ok)
                } else if let sequence = sequences.removeValue(forKey: Int(ref)), ok {
                    ledger?.acknowledged(ChatLedger.key(client: index, sequence: sequence))
                }
            } else if V2FrameScanner.bytes(bytes, in: frame.event, equal: "new_msg"),
                      let body = V2FrameScanner.find("\"body\":\"probe ", in: bytes, within: frame.payload) {
                // "probe <client> <seq>"
                var numbers: [Int] = []
                var value = 0
                var inNumber = false
                var index = body.upperBound
                while index < frame.payload.upperBound, numbers.count < 2 {
                    let byte = bytes[index]
                    if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                        value = value &* 10 &+ Int(byte - UInt8(ascii: "0"))
                        inNumber = true
                    } else {
                        if inNumber { numbers.append(value) }
                        value = 0
                        inNumber = false
                        if byte != UInt8(ascii: " ") { break }
                    }
                    index += 1
                }
                if numbers.count == 2 {
                    ledger?.received(ChatLedger.key(client: numbers[0], sequence: numbers[1]), by: self.index)
                }
            }
        }
    }

    private func answerJoin(_ ok: Bool) {
        guard !joinAnswered else { return }
        joinAnswered = true
        joined.succeed(ok)
    }

    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {
        answerJoin(false)
        if !stopping { ledger?.disconnected() }
    }
}
