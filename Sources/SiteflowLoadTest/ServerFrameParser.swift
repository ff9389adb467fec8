public import NIOCore

/// Reads server WebSocket frames (RFC 6455 §5.2) straight out of the bytes a client connection
/// received: a value type with no I/O and no allocation per frame (a payload is a slice of the
/// read buffer).
///
/// The load tester reads tens of thousands of frames per broadcast on the machine it measures,
/// so it parses in place rather than through NIO's frame decoder (a handler, a frame object and a
/// buffer copy per frame). Enforced here: the reserved bits are zero (no extension is
/// negotiated), the opcode is known, control frames are final and carry at most 125 bytes,
/// server frames are not masked, and no payload exceeds `maxPayloadSize` (checked from the
/// header, before the payload is buffered).
public struct ServerFrameParser: Sendable {
    /// One complete frame.
    public struct Frame: Sendable, Equatable {
        /// Whether this is the last frame of its message.
        public var fin: Bool
        /// The frame's opcode (0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong).
        public var opcode: UInt8
        /// The payload, a slice of the received bytes.
        public var payload: ByteBuffer
    }

    /// What ``next(from:)`` found.
    public enum Outcome: Sendable, Equatable {
        /// A complete frame (its bytes have been consumed).
        case frame(Frame)
        /// The buffer holds only part of a frame; nothing was consumed.
        case needMoreData
        /// The server broke the protocol: close with this code (1002 or 1009) and reason.
        case violation(code: UInt16, reason: String)
    }

    /// The largest payload accepted.
    public let maxPayloadSize: Int

    /// A parser that accepts payloads of up to `maxPayloadSize` bytes.
    public init(maxPayloadSize: Int) {
        self.maxPayloadSize = maxPayloadSize
    }

    /// A frame's header: where its payload starts and how long it is.
    public struct Header: Sendable, Equatable {
        /// Whether this is the last frame of its message.
        public var fin: Bool
        /// The frame's opcode.
        public var opcode: UInt8
        /// Bytes before the payload.
        public var headerLength: Int
        /// Bytes of payload.
        public var payloadLength: Int
    }

    /// What ``header(in:)`` found.
    public enum HeaderOutcome: Sendable, Equatable {
        /// A valid header whose whole frame (header and payload) is in the bytes.
        case complete(Header)
        /// The bytes hold only part of a frame.
        case needMoreData
        /// The server broke the protocol: close with this code (1002 or 1009) and reason.
        case violation(code: UInt16, reason: String)
    }

    /// Reads the header of the frame at the start of `bytes` and checks that the whole frame is
    /// there (for clients that read into raw memory).
    public func header(in bytes: UnsafeRawBufferPointer) -> HeaderOutcome {
        guard bytes.count >= 2 else { return .needMoreData }
        let first = bytes[0]
        let second = bytes[1]
        guard first & 0x70 == 0 else { return .violation(code: 1002, reason: "no extension was negotiated (reserved bits set)") }
        let opcode = first & 0x0F
        guard opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA) else {
            return .violation(code: 1002, reason: "unknown opcode \(opcode)")
        }
        let fin = first & 0x80 != 0
        guard second & 0x80 == 0 else { return .violation(code: 1002, reason: "server frames must not be masked") }
        var headerLength = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard bytes.count >= 4 else { return .needMoreData }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            headerLength += 2
        } else if length == 127 {
            guard bytes.count >= 10 else { return .needMoreData }
            var extended: UInt64 = 0
            for index in 2..<10 { extended = extended << 8 | UInt64(bytes[index]) }
            guard extended <= UInt64(maxPayloadSize) else {
                return .violation(code: 1009, reason: "frame larger than \(maxPayloadSize) bytes")
            }
            length = Int(extended)
            headerLength += 8
        }
        if opcode & 0x08 != 0 {
            guard fin else { return .violation(code: 1002, reason: "a control frame must not be fragmented") }
            guard length <= 125 else { return .violation(code: 1002, reason: "a control frame carries at most 125 bytes") }
        }
        guard length <= maxPayloadSize else { return .violation(code: 1009, reason: "frame larger than \(maxPayloadSize) bytes") }
        guard bytes.count >= headerLength + length else { return .needMoreData }
        return .complete(Header(fin: fin, opcode: opcode, headerLength: headerLength, payloadLength: length))
    }

    /// Consumes the next frame from `buffer`, if it is all there.
    public func next(from buffer: inout ByteBuffer) -> Outcome {
        switch buffer.withUnsafeReadableBytes({ header(in: $0) }) {
        case .needMoreData:
            return .needMoreData
        case .violation(let code, let reason):
            return .violation(code: code, reason: reason)
        case .complete(let header):
            buffer.moveReaderIndex(forwardBy: header.headerLength)
            guard let payload = buffer.readSlice(length: header.payloadLength) else { return .needMoreData }
            return .frame(Frame(fin: header.fin, opcode: header.opcode, payload: payload))
        }
    }
}
