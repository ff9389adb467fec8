import NIOCore
import SiteflowWebSocketCodec
import Testing

@Suite("WebSocket frame writer, both roles")
struct WebSocketFrameWriterTests {
    @Test("headers use the shortest length encoding, with four more bytes for a masking key")
    func headerSizes() {
        for (length, size) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            var buffer = ByteBuffer()
            WebSocketFrameWriter.writeHeader(opcode: .text, payloadLength: length, into: &buffer)
            #expect(buffer.readableBytes == size)
            #expect(WebSocketFrameWriter.headerSize(payloadLength: length) == size)
            #expect(WebSocketFrameWriter.headerSize(payloadLength: length, masked: true) == size + 4)
            #expect(buffer.getInteger(at: 0, as: UInt8.self) == 0x81)
        }
    }

    @Test("a server's frame is unmasked and its bytes are the payload as given")
    func serverFrame() {
        let frame = WebSocketFrameWriter(role: .server).frame(opcode: .binary, payload: ByteBuffer(bytes: [1, 2, 3]))
        #expect(Array(frame.readableBytesView) == [0x82, 0x03, 1, 2, 3])
    }

    @Test("a client's frame is masked with the key: the bytes RFC 6455 §5.7 gives for \"Hello\"")
    func clientFrameRFCExample() {
        let frame = WebSocketFrameWriter(role: .client).frame(opcode: .text, payload: ByteBuffer(string: "Hello"), maskKey: 0x37FA_213D)
        #expect(Array(frame.readableBytesView) == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test("a client masks each frame with a fresh random key")
    func randomKeys() {
        let writer = WebSocketFrameWriter(role: .client)
        let keys = Set((0..<8).map { _ in writer.frame(opcode: .text, payload: ByteBuffer(string: "x")).getInteger(at: 2, as: UInt32.self) })
        #expect(keys.count > 1)
    }

    @Test("what one end writes, the other end's parser reads back: every opcode, fin bit and length encoding",
          arguments: [WebSocketRole.server, .client])
    func roundTrip(writerRole: WebSocketRole) {
        let readerRole: WebSocketRole = writerRole == .server ? .client : .server
        let parser = WebSocketFrameParser(role: readerRole, maxPayloadSize: 1 << 20)
        let writer = WebSocketFrameWriter(role: writerRole)
        for opcode in WebSocketFrameOpcode.allCases {
            let sizes = opcode.isControl ? [0, 1, 125] : [0, 7, 125, 126, 65_535, 65_536, 100_003]
            for size in sizes {
                let fin = opcode.isControl || size % 2 == 1
                let payload = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) })
                var bytes = writer.frame(fin: fin, opcode: opcode, payload: payload)
                #expect(bytes.readableBytes == writer.frameSize(payloadLength: size))
                #expect(parser.next(from: &bytes) == .frame(.init(fin: fin, opcode: opcode, payload: payload)))
                #expect(bytes.readableBytes == 0)
            }
        }
    }

    @Test("masking twice with the same key gives the bytes back, at every length and offset")
    func maskingInvolution() {
        for length in 0..<20 {
            var bytes = (0..<length).map { UInt8($0) }
            bytes.withUnsafeMutableBytes { WebSocketMasking.apply(key: 0xDEAD_BEEF, to: $0) }
            if length > 0 { #expect(bytes[0] == 0 ^ 0xDE) }
            if length > 5 { #expect(bytes[5] == 5 ^ 0xAD) }
            bytes.withUnsafeMutableBytes { WebSocketMasking.apply(key: 0xDEAD_BEEF, to: $0) }
            #expect(bytes == (0..<length).map { UInt8($0) })
        }
    }
}
