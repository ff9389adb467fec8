import NIOCore
import SiteflowWebSocketCodec
import Testing

/// Frames built byte by byte, as a browser (masked) or a server (unmasked) puts them on the wire.
enum WireFrame {
    static let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    static func bytes(fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, payload: [UInt8], masked: Bool) -> ByteBuffer {
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
        if masked {
            buffer.writeBytes(key)
            buffer.writeBytes(payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
        } else {
            buffer.writeBytes(payload)
        }
        return buffer
    }

    /// A frame as the peer of `role` must send it: masked when the reader is the server.
    static func from(peerOf role: WebSocketRole, fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, payload: [UInt8]) -> ByteBuffer {
        bytes(fin: fin, rsv: rsv, opcode: opcode, payload: payload, masked: role == .server)
    }
}

@Suite("WebSocket frame parser, both roles")
struct WebSocketFrameParserTests {
    static let roles: [WebSocketRole] = [.server, .client]

    @Test("a frame is read whole, unmasked when masked, and its bytes consumed", arguments: roles)
    func textFrame(role: WebSocketRole) {
        let parser = WebSocketFrameParser(role: role, maxPayloadSize: 100_000)
        var buffer = WireFrame.from(peerOf: role, opcode: 0x1, payload: Array("Hello".utf8))
        #expect(parser.next(from: &buffer) == .frame(.init(fin: true, opcode: .text, payload: ByteBuffer(string: "Hello"))))
        #expect(buffer.readableBytes == 0)
    }

    @Test("frames of every length encoding come out whole and in order, with their fin bit and opcode", arguments: roles)
    func lengths(role: WebSocketRole) {
        let parser = WebSocketFrameParser(role: role, maxPayloadSize: 100_000)
        var buffer = ByteBuffer()
        let sizes = [0, 125, 126, 65_535, 65_536, 70_000]
        for (index, size) in sizes.enumerated() {
            var frame = WireFrame.from(peerOf: role, fin: index != 2, opcode: index == 3 ? 0x0 : 0x2, payload: Array(repeating: UInt8(index), count: size))
            buffer.writeBuffer(&frame)
        }
        for (index, size) in sizes.enumerated() {
            guard case .frame(let frame) = parser.next(from: &buffer) else {
                Issue.record("frame \(index) missing")
                return
            }
            #expect(frame.fin == (index != 2))
            #expect(frame.opcode == (index == 3 ? .continuation : .binary))
            #expect(frame.payload.readableBytes == size)
            #expect(frame.payload.readableBytesView.allSatisfy { $0 == UInt8(index) })
        }
        #expect(parser.next(from: &buffer) == .needMoreData)
    }

    @Test("a frame split anywhere needs more data and consumes nothing, then parses once whole", arguments: roles)
    func partialFrames(role: WebSocketRole) {
        let parser = WebSocketFrameParser(role: role, maxPayloadSize: 100_000)
        let whole = WireFrame.from(peerOf: role, opcode: 0x1, payload: Array(repeating: 42, count: 300))
        for cut in 0..<whole.readableBytes {
            var head = whole.getSlice(at: 0, length: cut) ?? ByteBuffer()
            #expect(parser.next(from: &head) == .needMoreData)
            #expect(head.readableBytes == cut)
            var rest = whole.getSlice(at: cut, length: whole.readableBytes - cut) ?? ByteBuffer()
            head.writeBuffer(&rest)
            guard case .frame(let frame) = parser.next(from: &head) else {
                Issue.record("no frame after joining at \(cut)")
                return
            }
            #expect(frame.payload == ByteBuffer(repeating: 42, count: 300))
        }
    }

    @Test("the header reader reports where the payload starts, and the masking key of a client frame")
    func rawHeader() {
        let masked = WireFrame.bytes(opcode: 0x9, payload: [1, 2, 3], masked: true)
        let header = masked.withUnsafeReadableBytes { WebSocketFrameParser(role: .server, maxPayloadSize: 10).header(in: $0) }
        #expect(header == .complete(.init(fin: true, opcode: .ping, headerLength: 6, payloadLength: 3, maskKey: 0x37FA_213D)))
        let plain = WireFrame.bytes(opcode: 0xA, payload: [1, 2, 3], masked: false)
        let plainHeader = plain.withUnsafeReadableBytes { WebSocketFrameParser(role: .client, maxPayloadSize: 10).header(in: $0) }
        #expect(plainHeader == .complete(.init(fin: true, opcode: .pong, headerLength: 2, payloadLength: 3, maskKey: nil)))
    }

    @Test("a server refuses an unmasked client frame; a client refuses a masked server frame (1002)")
    func maskingRule() {
        var unmasked = WireFrame.bytes(opcode: 0x1, payload: [1], masked: false)
        #expect(WebSocketFrameParser(role: .server, maxPayloadSize: 10).next(from: &unmasked) == .violation(.protocolError("client frames must be masked")))
        var masked = WireFrame.bytes(opcode: 0x1, payload: [1], masked: true)
        #expect(WebSocketFrameParser(role: .client, maxPayloadSize: 10).next(from: &masked) == .violation(.protocolError("server frames must not be masked")))
    }

    @Test("reserved bits, unknown opcodes, fragmented or long control frames are 1002 in either role", arguments: roles)
    func violations(role: WebSocketRole) {
        let parser = WebSocketFrameParser(role: role, maxPayloadSize: 100_000)
        let cases: [(ByteBuffer, String)] = [
            (WireFrame.from(peerOf: role, rsv: 0x40, opcode: 0x1, payload: [1]), "no extension was negotiated (reserved bits set)"),
            (WireFrame.from(peerOf: role, rsv: 0x10, opcode: 0x2, payload: [1]), "no extension was negotiated (reserved bits set)"),
            (WireFrame.from(peerOf: role, opcode: 0x3, payload: []), "unknown opcode 3"),
            (WireFrame.from(peerOf: role, opcode: 0xB, payload: []), "unknown opcode 11"),
            (WireFrame.from(peerOf: role, fin: false, opcode: 0x9, payload: []), "a control frame must not be fragmented"),
            (WireFrame.from(peerOf: role, fin: false, opcode: 0x8, payload: []), "a control frame must not be fragmented"),
            (WireFrame.from(peerOf: role, opcode: 0xA, payload: Array(repeating: 0, count: 126)), "a control frame carries at most 125 bytes"),
        ]
        for (frame, reason) in cases {
            var buffer = frame
            #expect(parser.next(from: &buffer) == .violation(.protocolError(reason)))
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test("an oversized frame is 1009 from its header alone, before the payload arrives (16- and 64-bit lengths)", arguments: roles)
    func oversized(role: WebSocketRole) {
        let parser = WebSocketFrameParser(role: role, maxPayloadSize: 1024)
        let maskBit: UInt8 = role == .server ? 0x80 : 0
        var short = ByteBuffer(bytes: [0x82, maskBit | 126])
        short.writeInteger(UInt16(1025))
        #expect(parser.next(from: &short) == .violation(.messageTooBig(limit: 1024)))
        var long = ByteBuffer(bytes: [0x82, maskBit | 127])
        long.writeInteger(UInt64.max)
        #expect(parser.next(from: &long) == .violation(.messageTooBig(limit: 1024)))
        #expect(WebSocketProtocolViolation.messageTooBig(limit: 1024).closeCode == 1009)
    }
}
