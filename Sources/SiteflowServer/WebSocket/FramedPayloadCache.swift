import NIOCore
import SiteflowWebSocketCodec

/// The last small message framed on one event loop, as complete WebSocket bytes (header and
/// payload in one buffer). A broadcast hands the same payload buffer to every connection of the
/// loop; the first one frames it, the others write the cached bytes — one write per socket, no
/// header allocation, no copy.
///
/// Server frames are not masked, so the bytes of a frame depend only on its opcode and payload.
/// A hit requires the very same bytes in memory (same address and length, and the cached
/// buffer keeps them alive, so the address cannot have been reused).
final class FramedPayloadCache: @unchecked Sendable {
    // @unchecked Sendable: used only on the event loop of the `LoopWriteScheduler` that owns it.
    /// Payloads larger than this are written as header + payload (no copy).
    static let maximumPayload = 1024

    private var payload: ByteBuffer?
    private var opcode = WebSocketFrameOpcode.text
    private var framed: ByteBuffer?

    /// The framed bytes of an `opcode` message with `payload` (at most ``maximumPayload`` bytes).
    func framed(_ payload: ByteBuffer, opcode: WebSocketFrameOpcode, allocator: ByteBufferAllocator) -> ByteBuffer {
        if let cached = self.payload, let framed, self.opcode == opcode, Self.sameBytes(cached, payload) {
            return framed
        }
        let length = payload.readableBytes
        var buffer = allocator.buffer(capacity: WebSocketFrameWriter.headerSize(payloadLength: length) + length)
        WebSocketFrameWriter.writeHeader(opcode: opcode, payloadLength: length, into: &buffer)
        var copy = payload
        buffer.writeBuffer(&copy)
        self.payload = payload
        self.opcode = opcode
        self.framed = buffer
        return buffer
    }

    private static func sameBytes(_ a: ByteBuffer, _ b: ByteBuffer) -> Bool {
        guard a.readableBytes == b.readableBytes else { return false }
        return a.withUnsafeReadableBytes { first in
            b.withUnsafeReadableBytes { second in first.baseAddress == second.baseAddress }
        }
    }
}
