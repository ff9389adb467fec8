public import NIOCore

/// Writes WebSocket frames (RFC 6455 §5.2) for either end of the connection: a server's frames
/// unmasked, a client's masked with a fresh random key per frame (§5.3). Headers use the
/// shortest length encoding; no extension bits are set.
///
/// A server may write a broadcast's payload as it is, after a header from `writeHeader`, so the
/// payload bytes are never copied per socket; a client's payload is copied while masked.
public struct WebSocketFrameWriter: Sendable {
    /// The end of the connection this writer writes for.
    public let role: WebSocketRole

    /// A writer for `role`'s end.
    @inlinable
    public init(role: WebSocketRole) {
        self.role = role
    }

    /// The size of a header for `payloadLength` bytes, with room for a masking key when `masked`.
    @inlinable
    public static func headerSize(payloadLength: Int, masked: Bool = false) -> Int {
        (payloadLength < 126 ? 2 : (payloadLength <= Int(UInt16.max) ? 4 : 10)) + (masked ? 4 : 0)
    }

    /// Appends a frame header for `payloadLength` bytes to `buffer`: masked with `maskKey`
    /// (network byte order) when one is given, in which case the payload that follows must be
    /// masked with it (``WebSocketMasking``).
    @inlinable
    public static func writeHeader(
        fin: Bool = true, opcode: WebSocketFrameOpcode, payloadLength: Int, maskKey: UInt32? = nil, into buffer: inout ByteBuffer
    ) {
        buffer.writeInteger((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        if payloadLength < 126 {
            buffer.writeInteger(maskBit | UInt8(payloadLength))
        } else if payloadLength <= Int(UInt16.max) {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(payloadLength))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(payloadLength))
        }
        if let maskKey { buffer.writeInteger(maskKey) }
    }

    /// Bytes of a whole frame carrying `payloadLength` bytes, as this writer frames it.
    @inlinable
    public func frameSize(payloadLength: Int) -> Int {
        Self.headerSize(payloadLength: payloadLength, masked: role == .client) + payloadLength
    }

    /// Appends a whole frame carrying `payload` to `buffer`: unmasked for a server; for a client
    /// masked with `maskKey`, or with a random key when none is given (tests pass one).
    @inlinable
    public func writeFrame(
        fin: Bool = true, opcode: WebSocketFrameOpcode, payload: UnsafeRawBufferPointer, maskKey: UInt32? = nil, into buffer: inout ByteBuffer
    ) {
        switch role {
        case .server:
            Self.writeHeader(fin: fin, opcode: opcode, payloadLength: payload.count, into: &buffer)
            buffer.writeBytes(payload)
        case .client:
            let key = maskKey ?? UInt32.random(in: .min ... .max)
            Self.writeHeader(fin: fin, opcode: opcode, payloadLength: payload.count, maskKey: key, into: &buffer)
            let offset = buffer.readableBytes
            buffer.writeBytes(payload)
            buffer.withUnsafeMutableReadableBytes { bytes in
                WebSocketMasking.apply(key: key, to: UnsafeMutableRawBufferPointer(rebasing: bytes[offset...]))
            }
        }
    }

    /// Appends a whole frame carrying `payload`'s readable bytes to `buffer`, masked as the
    /// raw-bytes variant masks.
    @inlinable
    public func writeFrame(fin: Bool = true, opcode: WebSocketFrameOpcode, payload: ByteBuffer, maskKey: UInt32? = nil, into buffer: inout ByteBuffer) {
        payload.withUnsafeReadableBytes { writeFrame(fin: fin, opcode: opcode, payload: $0, maskKey: maskKey, into: &buffer) }
    }

    /// A new buffer holding one whole frame carrying `payload`, masked as `writeFrame` masks.
    @inlinable
    public func frame(
        fin: Bool = true, opcode: WebSocketFrameOpcode, payload: ByteBuffer, maskKey: UInt32? = nil, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frameSize(payloadLength: payload.readableBytes))
        writeFrame(fin: fin, opcode: opcode, payload: payload, maskKey: maskKey, into: &buffer)
        return buffer
    }
}
