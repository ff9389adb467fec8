import NIOCore
import SiteflowLoadTest
import Testing

@Suite("Load-test client: server frame parser")
struct ServerFrameParserTests {
    let parser = ServerFrameParser(maxPayloadSize: 70_000)

    private func serverFrame(fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, payload: [UInt8], masked: Bool = false) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger((fin ? 0x80 : 0) | rsv | opcode)
        let mask: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            buffer.writeInteger(mask | UInt8(payload.count))
        } else if payload.count <= Int(UInt16.max) {
            buffer.writeInteger(mask | 126)
            buffer.writeInteger(UInt16(payload.count))
        } else {
            buffer.writeInteger(mask | 127)
            buffer.writeInteger(UInt64(payload.count))
        }
        if masked { buffer.writeBytes([1, 2, 3, 4]) }
        buffer.writeBytes(payload)
        return buffer
    }

    @Test("frames of every length encoding come out whole and in order, with their fin bit and opcode")
    func lengths() {
        var buffer = ByteBuffer()
        let payloads = [[UInt8](), Array(repeating: 7, count: 125), Array(repeating: 8, count: 126), Array(repeating: 9, count: 65_536)]
        for (index, payload) in payloads.enumerated() {
            var frame = serverFrame(fin: index != 2, opcode: index == 3 ? 0x0 : 0x1, payload: payload)
            buffer.writeBuffer(&frame)
        }
        for (index, payload) in payloads.enumerated() {
            guard case .frame(let frame) = parser.next(from: &buffer) else {
                Issue.record("frame \(index) missing")
                return
            }
            #expect(frame.fin == (index != 2))
            #expect(frame.opcode == (index == 3 ? 0x0 : 0x1))
            #expect(Array(frame.payload.readableBytesView) == payload)
        }
        #expect(parser.next(from: &buffer) == .needMoreData)
        #expect(buffer.readableBytes == 0)
    }

    @Test("a frame split anywhere is reported incomplete without consuming anything, then parsed once it is whole")
    func partialFrames() {
        let whole = serverFrame(opcode: 0x1, payload: Array(repeating: 42, count: 300))
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
            #expect(frame.payload.readableBytes == 300)
        }
    }

    @Test("protocol violations by the server are refused with 1002, oversized frames with 1009 before their payload arrives")
    func violations() {
        let cases: [(ByteBuffer, ServerFrameParser.Outcome)] = [
            (serverFrame(opcode: 0x1, payload: [1], masked: true), .violation(code: 1002, reason: "server frames must not be masked")),
            (serverFrame(rsv: 0x40, opcode: 0x1, payload: [1]), .violation(code: 1002, reason: "no extension was negotiated (reserved bits set)")),
            (serverFrame(opcode: 0x3, payload: []), .violation(code: 1002, reason: "unknown opcode 3")),
            (serverFrame(fin: false, opcode: 0x9, payload: []), .violation(code: 1002, reason: "a control frame must not be fragmented")),
            (serverFrame(opcode: 0xA, payload: Array(repeating: 0, count: 126)), .violation(code: 1002, reason: "a control frame carries at most 125 bytes")),
        ]
        for (frame, expected) in cases {
            var buffer = frame
            #expect(parser.next(from: &buffer) == expected)
        }
        var header = ByteBuffer(bytes: [0x82, 127])
        header.writeInteger(UInt64(70_001))
        #expect(parser.next(from: &header) == .violation(code: 1009, reason: "frame larger than 70000 bytes"))
    }
}
