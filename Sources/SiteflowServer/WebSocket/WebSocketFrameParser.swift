import NIOCore
import NIOWebSocket
import SiteflowRealtime

/// Reads client WebSocket frames (RFC 6455 §5.2) out of the bytes a connection has received:
/// a value type with no I/O, so the rules are specified without sockets.
///
/// Enforced here: the reserved bits are zero (no extension is negotiated), the opcode is known,
/// control frames are final and carry at most 125 bytes, every client frame is masked, and no
/// payload exceeds `maxPayloadSize` — checked from the header, before the payload is buffered.
struct WebSocketFrameParser {
    /// The frame types RFC 6455 defines.
    enum Opcode: UInt8 {
        case continuation = 0x0
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// One complete frame, its payload unmasked.
    struct Frame {
        var fin: Bool
        var opcode: Opcode
        var payload: ByteBuffer
    }

    /// What `next` found.
    enum Outcome {
        /// A complete frame (its bytes have been consumed).
        case frame(Frame)
        /// The buffer holds only part of a frame; nothing was consumed.
        case needMoreData
        /// The client broke the protocol: close with this code and reason.
        case violation(TransportCloseCode, String)
    }

    /// The largest payload accepted.
    let maxPayloadSize: Int

    /// Consumes the next frame from `buffer`, if it is all there.
    func next(from buffer: inout ByteBuffer) -> Outcome {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self),
            let second = buffer.getInteger(at: start + 1, as: UInt8.self)
        else { return .needMoreData }
        guard first & 0x70 == 0 else { return .violation(.protocolError, "no extension was negotiated (reserved bits set)") }
        guard let opcode = Opcode(rawValue: first & 0x0F) else {
            return .violation(.protocolError, "unknown opcode \(first & 0x0F)")
        }
        let fin = first & 0x80 != 0
        let isControl = opcode.rawValue & 0x08 != 0
        guard second & 0x80 != 0 else { return .violation(.protocolError, "client frames must be masked") }
        var headerLength = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt16.self) else { return .needMoreData }
            length = Int(extended)
            headerLength += 2
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt64.self) else { return .needMoreData }
            guard extended <= UInt64(Int.max) else {
                return .violation(.messageTooBig, "frame larger than \(maxPayloadSize) bytes")
            }
            length = Int(extended)
            headerLength += 8
        }
        if isControl {
            guard fin else { return .violation(.protocolError, "a control frame must not be fragmented") }
            guard length <= 125 else { return .violation(.protocolError, "a control frame carries at most 125 bytes") }
        }
        guard length <= maxPayloadSize else { return .violation(.messageTooBig, "frame larger than \(maxPayloadSize) bytes") }
        guard let maskBytes = buffer.getBytes(at: start + headerLength, length: 4),
            let maskKey = WebSocketMaskingKey(maskBytes)
        else { return .needMoreData }
        headerLength += 4
        guard buffer.readableBytes >= headerLength + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: headerLength)
        guard var payload = buffer.readSlice(length: length) else { return .needMoreData }
        payload.webSocketUnmask(maskKey)
        return .frame(Frame(fin: fin, opcode: opcode, payload: payload))
    }

    /// Appends the header of an unmasked server frame of `length` bytes to `buffer`.
    static func writeHeader(opcode: Opcode, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode.rawValue)
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    /// The size of the header `writeHeader` writes for `length` bytes.
    static func headerSize(length: Int) -> Int {
        length < 126 ? 2 : (length <= Int(UInt16.max) ? 4 : 10)
    }
}
