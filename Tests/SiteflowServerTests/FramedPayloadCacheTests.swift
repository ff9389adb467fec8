import NIOCore
import SiteflowWebSocketCodec
import Testing
@testable import SiteflowServer

@Suite("Framed payload cache: a broadcast is framed once per event loop")
struct FramedPayloadCacheTests {
    let allocator = ByteBufferAllocator()

    private func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    @Test("the framed bytes are an unmasked header followed by the payload")
    func frameBytes() {
        let cache = FramedPayloadCache()
        let text = cache.framed(ByteBuffer(string: "hello"), opcode: .text, allocator: allocator)
        #expect(Array(text.readableBytesView) == [0x81, 5] + Array("hello".utf8))
        let binary = cache.framed(ByteBuffer(bytes: [1, 2, 3]), opcode: .binary, allocator: allocator)
        #expect(Array(binary.readableBytesView) == [0x82, 3, 1, 2, 3])
        let long = ByteBuffer(repeating: 7, count: 300)
        let framedLong = cache.framed(long, opcode: .binary, allocator: allocator)
        #expect(Array(framedLong.readableBytesView.prefix(4)) == [0x82, 126, 0x01, 0x2C])
        #expect(framedLong.readableBytes == 304)
    }

    @Test("the same payload buffer is framed once; equal bytes elsewhere, or another opcode, are framed anew")
    func reuse() {
        let cache = FramedPayloadCache()
        let payload = ByteBuffer(string: #"[null,null,"room:a","msg",{"body":"hi"}]"#)
        let first = cache.framed(payload, opcode: .text, allocator: allocator)
        let again = cache.framed(payload, opcode: .text, allocator: allocator)
        #expect(address(first) == address(again))
        let copy = ByteBuffer(string: #"[null,null,"room:a","msg",{"body":"hi"}]"#)
        let fromCopy = cache.framed(copy, opcode: .text, allocator: allocator)
        #expect(address(fromCopy) != address(first))
        #expect(Array(fromCopy.readableBytesView) == Array(first.readableBytesView))
        let asBinary = cache.framed(copy, opcode: .binary, allocator: allocator)
        #expect(asBinary.readableBytesView.first == 0x82)
        var slice = payload
        slice.moveReaderIndex(forwardBy: 1)
        let fromSlice = cache.framed(slice, opcode: .text, allocator: allocator)
        #expect(Array(fromSlice.readableBytesView.dropFirst(2)) == Array(slice.readableBytesView))
    }
}
