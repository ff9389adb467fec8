import NIOCore
import SiteflowWebSocketCodec
import Testing

@Suite("WebSocket close frame payload")
struct WebSocketCloseBodyTests {
    static func payload(_ code: UInt16, _ reason: [UInt8] = []) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(code)
        buffer.writeBytes(reason)
        return buffer
    }

    @Test("an empty payload has no code; a code and a UTF-8 reason are read")
    func valid() throws {
        #expect(try WebSocketCloseBody(decoding: ByteBuffer()) == WebSocketCloseBody(code: nil))
        #expect(try WebSocketCloseBody(decoding: Self.payload(1000, Array("bye ✓".utf8))) == WebSocketCloseBody(code: 1000, reason: "bye ✓"))
        #expect(try WebSocketCloseBody(decoding: Self.payload(4999)) == WebSocketCloseBody(code: 4999))
    }

    @Test("codes no peer may send are 1002", arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, UInt16.max] as [UInt16])
    func badCodes(code: UInt16) {
        #expect(throws: WebSocketProtocolViolation.protocolError("invalid close code \(code)")) {
            try WebSocketCloseBody(decoding: Self.payload(code))
        }
    }

    @Test("a one-byte payload is 1002; a reason that is not UTF-8 is 1007")
    func malformed() {
        #expect(throws: WebSocketProtocolViolation.protocolError("close frame with a one-byte payload")) {
            try WebSocketCloseBody(decoding: ByteBuffer(bytes: [3]))
        }
        #expect(throws: WebSocketProtocolViolation(closeCode: 1007, reason: "close reason is not valid UTF-8")) {
            try WebSocketCloseBody(decoding: Self.payload(1000, [0xC3, 0x28]))
        }
    }

    @Test("a written body decodes to itself; a long reason is cut to 123 bytes at a character boundary")
    func writeRoundTrip() throws {
        var buffer = ByteBuffer()
        WebSocketCloseBody(code: 1008, reason: "policy").write(into: &buffer)
        #expect(try WebSocketCloseBody(decoding: buffer) == WebSocketCloseBody(code: 1008, reason: "policy"))
        var long = ByteBuffer()
        WebSocketCloseBody(code: 1000, reason: "a" + String(repeating: "é", count: 100)).write(into: &long)
        #expect(long.readableBytes == 2 + 123)
        let decoded = try WebSocketCloseBody(decoding: long)
        #expect(decoded.reason == "a" + String(repeating: "é", count: 61))
        var none = ByteBuffer()
        WebSocketCloseBody(code: nil, reason: "ignored").write(into: &none)
        #expect(none.readableBytes == 0)
    }
}
