import NIOCore
@testable import SiteflowServer
import SiteflowRealtime
import SiteflowWebSocketCodec
import Testing

@Suite("WebSocket state machine")
struct WebSocketStateMachineTests {
    typealias Frame = WebSocketFrameParser.Frame

    static func machine(maxMessageSize: Int = 1024, maxUnansweredPings: Int = 3, partialFrameTimeout: TimeAmount = .seconds(10)) -> WebSocketStateMachine {
        WebSocketStateMachine(limits: WebSocketLimits(
            maxMessageSize: maxMessageSize, outboundQueueLimit: 16, closeHandshakeTimeout: .seconds(5),
            receiveBufferInitialSize: 64, maxUnansweredPings: maxUnansweredPings, partialFrameTimeout: partialFrameTimeout
        ))
    }

    static func frame(_ opcode: WebSocketFrameOpcode, _ bytes: [UInt8], fin: Bool = true) -> Frame {
        Frame(fin: fin, opcode: opcode, payload: ByteBuffer(bytes: bytes))
    }

    static func text(_ string: String, fin: Bool = true, opcode: WebSocketFrameOpcode = .text) -> Frame {
        Frame(fin: fin, opcode: opcode, payload: ByteBuffer(string: string))
    }

    static func close(_ code: UInt16, reason: [UInt8] = []) -> Frame {
        frame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
    }

    // MARK: Messages

    @Test("a final text or binary frame is delivered as it is")
    func singleFrames() {
        var machine = Self.machine()
        do { let result = machine.received(Self.text("hi")); #expect(result == .deliver(ByteBuffer(string: "hi"), isText: true)) }
        do { let result = machine.received(Self.frame(.binary, [0, 255])); #expect(result == .deliver(ByteBuffer(bytes: [0, 255]), isText: false)) }
    }

    @Test("fragments are reassembled into one message, with pings and pongs allowed between them")
    func reassembly() {
        var machine = Self.machine()
        do { let result = machine.received(Self.text("hel", fin: false)); #expect(result == .none) }
        #expect(machine.fragmentBytes == 3)
        do { let result = machine.received(Self.frame(.pong, [])); #expect(result == .none) }
        do { let result = machine.received(Self.text("lo ", fin: false, opcode: .continuation)); #expect(result == .none) }
        do { let result = machine.received(Self.text("wörld", opcode: .continuation)); #expect(result == .deliver(ByteBuffer(string: "hello wörld"), isText: true)) }
        #expect(machine.fragmentBytes == 0)
    }

    @Test("a continuation without a message, or a new message inside a fragmented one, is 1002")
    func fragmentationErrors() {
        var first = Self.machine()
        do { let result = first.received(Self.text("x", opcode: .continuation)); #expect(result == .fail(.protocolError, "a continuation frame without a message to continue")) }
        #expect(first.phase == .closing)
        var second = Self.machine()
        _ = second.received(Self.text("a", fin: false))
        do { let result = second.received(Self.text("b")); #expect(result == .fail(.protocolError, "a new message began before the fragmented one ended")) }
        #expect(second.fragmentBytes == 0)
    }

    @Test("fragments adding up to more than the limit are 1009; text that is not UTF-8 is 1007, even when split across fragments")
    func sizeAndEncoding() {
        var big = Self.machine(maxMessageSize: 10)
        _ = big.received(Self.text("123456", fin: false))
        do { let result = big.received(Self.text("78901", opcode: .continuation)); #expect(result == .fail(.messageTooBig, "message larger than 10 bytes")) }
        var utf8 = Self.machine()
        _ = utf8.received(Self.frame(.text, [0x68, 0xC3], fin: false))
        do { let result = utf8.received(Self.frame(.continuation, [0xA9])); #expect(result == .deliver(ByteBuffer(bytes: [0x68, 0xC3, 0xA9]), isText: true)) }
        do { let result = utf8.received(Self.frame(.text, [0x68, 0xC3, 0x28])); #expect(result == .fail(.invalidPayload, "text frame is not valid UTF-8")) }
    }

    // MARK: Pings

    @Test("pings are coalesced: only the latest unanswered ping is answered, and answering resets the count")
    func pingCoalescing() {
        var machine = Self.machine(maxUnansweredPings: 3)
        do { let result = machine.takePendingPong(); #expect(result == nil) }
        do { let result = machine.received(Self.text("1", opcode: .ping)); #expect(result == .none) }
        do { let result = machine.received(Self.text("2", opcode: .ping)); #expect(result == .none) }
        do { let result = machine.received(Self.text("3", opcode: .ping)); #expect(result == .none) }
        do { let result = machine.takePendingPong(); #expect(result == ByteBuffer(string: "3")) }
        do { let result = machine.takePendingPong(); #expect(result == nil) }
        // Answered: three more unanswered pings are within the budget again.
        for index in 0..<4 { let result = machine.received(Self.text("\(index)", opcode: .ping)); #expect(result == .none) }
        do { let result = machine.takePendingPong(); #expect(result == ByteBuffer(string: "3")) }
    }

    @Test("more pings than the budget while one is unanswered is a ping flood: 1008, and no pong is owed any more")
    func pingFlood() {
        var machine = Self.machine(maxUnansweredPings: 2)
        _ = machine.received(Self.text("a", opcode: .ping))
        _ = machine.received(Self.text("b", opcode: .ping))
        _ = machine.received(Self.text("c", opcode: .ping))
        do { let result = machine.received(Self.text("d", opcode: .ping)); #expect(result == .fail(.policyViolation, "ping flood: more than 2 pings unanswered")) }
        do { let result = machine.takePendingPong(); #expect(result == nil) }
        #expect(machine.closeCode == .policyViolation)
    }

    // MARK: Closing

    @Test("a close with a valid code (1000-1003, 1007-1014, 3000-4999) is answered with the same code, and its reason kept")
    func validCloseCodes() {
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4001, 4999] {
            var machine = Self.machine()
            do { let result = machine.received(Self.close(code, reason: Array("bye".utf8))); #expect(result == .answerClose(code: TransportCloseCode(rawValue: code))) }
            #expect(machine.phase == .closing)
            #expect(machine.closeCode == TransportCloseCode(rawValue: code))
            #expect(machine.closeReason == "bye")
        }
        var empty = Self.machine()
        do { let result = empty.received(Self.frame(.close, [])); #expect(result == .answerClose(code: nil)) }
    }

    @Test("a close with an invalid code (0, 999, 1004-1006, 1015, 1016-2999, 5000+) is answered with 1002, not echoed")
    func invalidCloseCodes() {
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            var machine = Self.machine()
            do { let result = machine.received(Self.close(code)); #expect(result == .fail(.protocolError, "invalid close code \(code)")) }
            #expect(machine.closeCode == .protocolError)
        }
    }

    @Test("a close reason that is not UTF-8 is answered with 1007; a one-byte close payload with 1002")
    func invalidCloseReason() {
        var machine = Self.machine()
        do { let result = machine.received(Self.close(1000, reason: [0xC3, 0x28])); #expect(result == .fail(.invalidPayload, "close reason is not valid UTF-8")) }
        var short = Self.machine()
        do { let result = short.received(Self.frame(.close, [3])); #expect(result == .fail(.protocolError, "close frame with a one-byte payload")) }
    }

    @Test("after the server's close, data is ignored and the client's close completes the handshake")
    func serverInitiatedClose() {
        var machine = Self.machine()
        _ = machine.received(Self.text("half", fin: false))
        do { let result = machine.close(code: .goingAway, reason: "shutdown"); #expect(result) }
        do { let result = machine.close(code: .normal, reason: "again"); #expect(result == false) }
        #expect(machine.fragmentBytes == 0)
        do { let result = machine.received(Self.text("late")); #expect(result == .none) }
        do { let result = machine.received(Self.text("ping", opcode: .ping)); #expect(result == .none) }
        do { let result = machine.takePendingPong(); #expect(result == nil) }
        do { let result = machine.received(Self.close(1000)); #expect(result == .dropConnection) }
        #expect(machine.closeCode == .goingAway)
        #expect(machine.closeReason == "shutdown")
        machine.connectionClosed()
        #expect(machine.phase == .closed)
        do { let result = machine.received(Self.close(1000)); #expect(result == .none) }
    }

    // MARK: Partial frames

    @Test("a partial frame arms one deadline check; completing it in time disarms it")
    func partialFrameCompletedInTime() {
        var machine = Self.machine(partialFrameTimeout: .seconds(10))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        do { let result = machine.holding(partialBytes: 100, now: start); #expect(result == start + .seconds(10)) }
        do { let result = machine.holding(partialBytes: 200, now: start + .seconds(1)); #expect(result == nil) }
        do { let result = machine.holding(partialBytes: 0, now: start + .seconds(2)); #expect(result == nil) }
        do { let result = machine.partialDeadlineReached(now: start + .seconds(10)); #expect(result == .none) }
        #expect(machine.phase == .open)
    }

    @Test("a later partial frame moves the check to its own deadline; one still incomplete at its deadline is 1008")
    func partialFrameDeadline() {
        var machine = Self.machine(partialFrameTimeout: .seconds(10))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        do { let result = machine.holding(partialBytes: 100, now: start); #expect(result == start + .seconds(10)) }
        _ = machine.holding(partialBytes: 0, now: start + .seconds(1))
        // A new partial frame while the first check is still scheduled: no second timer.
        do { let result = machine.holding(partialBytes: 50, now: start + .seconds(5)); #expect(result == nil) }
        do { let result = machine.partialDeadlineReached(now: start + .seconds(10)); #expect(result == .checkAgain(at: start + .seconds(15))) }
        do { let result = machine.partialDeadlineReached(now: start + .seconds(15)); #expect(result == .fail(.policyViolation, "frame incomplete after 10000 ms")) }
        #expect(machine.phase == .closing)
        #expect(machine.closeCode == .policyViolation)
    }

    @Test("an idle machine keeps nothing out of line: its size is three words")
    func idleFootprint() {
        #expect(MemoryLayout<WebSocketStateMachine>.size <= 3 * MemoryLayout<Int>.size)
    }
}

@Suite("WebSocket handshake check")
struct WebSocketHandshakeCheckTests {
    @Test("a key must be base64 of exactly 16 bytes")
    func keys() {
        #expect(WebSocketHandshakeCheck.isBase64OfSixteenBytes("dGhlIHNhbXBsZSBub25jZQ=="))
        #expect(WebSocketHandshakeCheck.isBase64OfSixteenBytes("AAAAAAAAAAAAAAAAAAAAAA=="))
        #expect(!WebSocketHandshakeCheck.isBase64OfSixteenBytes("abc"))
        #expect(!WebSocketHandshakeCheck.isBase64OfSixteenBytes("dGhlIHNhbXBsZSBub25jZQ"))
        #expect(!WebSocketHandshakeCheck.isBase64OfSixteenBytes("dGhlIHNhbXBsZSBub25jZR=="))
        #expect(!WebSocketHandshakeCheck.isBase64OfSixteenBytes("dGhlIHNhbXBsZSBub25j*Q=="))
        #expect(!WebSocketHandshakeCheck.isBase64OfSixteenBytes("dGhlIHNhbXBsZSBub25jZQAA"))
    }
}

extension WebSocketStateMachineTests {
    @Test("the machine is a value: a copy does not see the original's later changes")
    func valueSemantics() {
        var machine = Self.machine()
        do { let result = machine.received(Self.text("ab", fin: false)); #expect(result == .none) }
        let copy = machine
        do { let result = machine.received(Self.text("cd", fin: false, opcode: .continuation)); #expect(result == .none) }
        #expect(machine.fragmentBytes == 4)
        #expect(copy.fragmentBytes == 2)
    }
}
