import NIOCore
import NIOWebSocket
@testable import SiteflowServer
import SiteflowRealtime
import Testing

@Suite("WebSocket frame parser")
struct WebSocketFrameParserTests {
    /// A client frame as a browser would encode it (masked with a fixed key).
    static func clientFrame(fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, payload: [UInt8], masked: Bool = true) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger((fin ? 0x80 : 0) | rsv | opcode)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            buffer.writeInteger(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(payload.count))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(payload.count))
        }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        if masked {
            buffer.writeBytes(key)
            buffer.writeBytes(payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
        } else {
            buffer.writeBytes(payload)
        }
        return buffer
    }

    let parser = WebSocketFrameParser(maxPayloadSize: 100_000)

    @Test("a masked text frame is read and unmasked; the bytes are consumed")
    func textFrame() throws {
        var buffer = Self.clientFrame(opcode: 0x1, payload: Array("Hello".utf8))
        guard case .frame(let frame) = parser.next(from: &buffer) else {
            Issue.record("expected a frame")
            return
        }
        #expect(frame.fin)
        #expect(frame.opcode == .text)
        #expect(frame.payload == ByteBuffer(string: "Hello"))
        #expect(buffer.readableBytes == 0)
    }

    @Test("16- and 64-bit lengths are read")
    func extendedLengths() {
        for size in [126, 65_535, 65_536, 70_000] {
            var buffer = Self.clientFrame(opcode: 0x2, payload: Array(repeating: 7, count: size))
            guard case .frame(let frame) = parser.next(from: &buffer) else {
                Issue.record("expected a frame of \(size) bytes")
                continue
            }
            #expect(frame.payload.readableBytes == size)
            #expect(frame.payload.readableBytesView.allSatisfy { $0 == 7 })
        }
    }

    @Test("a partial frame needs more data and consumes nothing; the rest completes it")
    func partialFrame() {
        let whole = Self.clientFrame(opcode: 0x1, payload: Array("split across reads".utf8))
        for cut in 1..<whole.readableBytes {
            var first = whole.getSlice(at: 0, length: cut) ?? ByteBuffer()
            guard case .needMoreData = parser.next(from: &first) else {
                Issue.record("cut at \(cut) should need more data")
                continue
            }
            #expect(first.readerIndex == 0)
        }
    }

    @Test("protocol violations name their close code", arguments: [
        (clientFrame(opcode: 0x1, payload: [1], masked: false), TransportCloseCode.protocolError, "client frames must be masked"),
        (clientFrame(rsv: 0x40, opcode: 0x1, payload: [1]), .protocolError, "no extension was negotiated (reserved bits set)"),
        (clientFrame(opcode: 0x3, payload: []), .protocolError, "unknown opcode 3"),
        (clientFrame(fin: false, opcode: 0x9, payload: []), .protocolError, "a control frame must not be fragmented"),
        (clientFrame(opcode: 0x9, payload: Array(repeating: 0, count: 126)), .protocolError, "a control frame carries at most 125 bytes"),
    ])
    func violations(frame: ByteBuffer, code: TransportCloseCode, reason: String) {
        var buffer = frame
        guard case .violation(let actualCode, let actualReason) = parser.next(from: &buffer) else {
            Issue.record("expected a violation")
            return
        }
        #expect(actualCode == code)
        #expect(actualReason == reason)
    }

    @Test("an oversized frame is refused from its header, before the payload arrives")
    func oversizedFromHeader() {
        let small = WebSocketFrameParser(maxPayloadSize: 1024)
        var header = ByteBuffer()
        header.writeInteger(UInt8(0x82))
        header.writeInteger(UInt8(0x80 | 126))
        header.writeInteger(UInt16(2000))
        guard case .violation(let code, _) = small.next(from: &header) else {
            Issue.record("expected 1009")
            return
        }
        #expect(code == .messageTooBig)
    }

    @Test("server headers use the shortest length encoding")
    func serverHeaders() {
        for (length, size) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            var buffer = ByteBuffer()
            WebSocketFrameParser.writeHeader(opcode: .text, length: length, into: &buffer)
            #expect(buffer.readableBytes == size)
            #expect(WebSocketFrameParser.headerSize(length: length) == size)
            #expect(buffer.getInteger(at: 0, as: UInt8.self) == 0x81)
        }
    }
}
