public import NIOCore

/// Reads WebSocket frames (RFC 6455 §5.2) out of received bytes, in place, for either end of
/// the connection: a value type with no I/O and no allocation per frame (a payload is a slice of
/// the bytes read; an unmasked one is not copied).
///
/// Enforced here: the reserved bits are zero (no extension is negotiated), the opcode is known,
/// control frames are final and carry at most 125 bytes, frames are masked exactly when the
/// ``role`` says the peer must mask them (a server reads masked client frames, a client reads
/// unmasked server frames), and no payload exceeds ``maxPayloadSize`` — checked from the header,
/// before the payload is buffered. Violations are reported in that order.
public struct WebSocketFrameParser: Sendable {
    /// One complete frame, its payload unmasked.
    public struct Frame: Sendable, Equatable {
        /// Whether this is the last frame of its message.
        public var fin: Bool
        /// The frame's type.
        public var opcode: WebSocketFrameOpcode
        /// The payload (a slice of the received bytes).
        public var payload: ByteBuffer

        /// A frame with these fields.
        @inlinable
        public init(fin: Bool, opcode: WebSocketFrameOpcode, payload: ByteBuffer) {
            self.fin = fin
            self.opcode = opcode
            self.payload = payload
        }
    }

    /// A valid frame's header, whose whole frame is in the bytes parsed.
    public struct Header: Sendable, Equatable {
        /// Whether this is the last frame of its message.
        public var fin: Bool
        /// The frame's type.
        public var opcode: WebSocketFrameOpcode
        /// Bytes before the payload (including the masking key, if any).
        public var headerLength: Int
        /// Bytes of payload.
        public var payloadLength: Int
        /// The masking key in network byte order (client frames), `nil` for an unmasked frame.
        public var maskKey: UInt32?

        /// A header with these fields.
        @inlinable
        public init(fin: Bool, opcode: WebSocketFrameOpcode, headerLength: Int, payloadLength: Int, maskKey: UInt32?) {
            self.fin = fin
            self.opcode = opcode
            self.headerLength = headerLength
            self.payloadLength = payloadLength
            self.maskKey = maskKey
        }

        /// Bytes of the whole frame.
        @inlinable
        public var frameLength: Int { headerLength + payloadLength }
    }

    /// What ``header(in:)`` found.
    public enum HeaderOutcome: Sendable, Equatable {
        /// A valid header whose whole frame (header and payload) is in the bytes.
        case complete(Header)
        /// The bytes hold only part of a frame.
        case needMoreData
        /// The peer broke the protocol: close with the violation's code and reason.
        case violation(WebSocketProtocolViolation)
    }

    /// What ``next(from:)`` found.
    public enum Outcome: Sendable, Equatable {
        /// A complete frame (its bytes have been consumed).
        case frame(Frame)
        /// The buffer holds only part of a frame; nothing was consumed.
        case needMoreData
        /// The peer broke the protocol: close with the violation's code and reason.
        case violation(WebSocketProtocolViolation)
    }

    /// The end of the connection this parser reads for.
    public let role: WebSocketRole
    /// The largest payload accepted.
    public let maxPayloadSize: Int

    /// A parser for `role`'s end that accepts payloads of up to `maxPayloadSize` bytes.
    @inlinable
    public init(role: WebSocketRole, maxPayloadSize: Int) {
        self.role = role
        self.maxPayloadSize = max(0, maxPayloadSize)
    }

    /// Reads the header of the frame at the start of `bytes` and checks that the whole frame is
    /// there (for readers of raw memory); the payload is still masked.
    @inlinable
    public func header(in bytes: UnsafeRawBufferPointer) -> HeaderOutcome {
        guard bytes.count >= 2 else { return .needMoreData }
        let first = bytes[0]
        let second = bytes[1]
        guard first & 0x70 == 0 else { return .violation(.protocolError("no extension was negotiated (reserved bits set)")) }
        guard let opcode = WebSocketFrameOpcode(rawValue: first & 0x0F) else {
            return .violation(.protocolError("unknown opcode \(first & 0x0F)"))
        }
        let fin = first & 0x80 != 0
        let masked = second & 0x80 != 0
        switch role {
        case .server:
            guard masked else { return .violation(.protocolError("client frames must be masked")) }
        case .client:
            guard !masked else { return .violation(.protocolError("server frames must not be masked")) }
        }
        var headerLength = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard bytes.count >= 4 else { return .needMoreData }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            headerLength = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return .needMoreData }
            let extended = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
            guard extended <= UInt64(maxPayloadSize) else { return .violation(.messageTooBig(limit: maxPayloadSize)) }
            length = Int(extended)
            headerLength = 10
        }
        if opcode.isControl {
            guard fin else { return .violation(.protocolError("a control frame must not be fragmented")) }
            guard length <= 125 else { return .violation(.protocolError("a control frame carries at most 125 bytes")) }
        }
        guard length <= maxPayloadSize else { return .violation(.messageTooBig(limit: maxPayloadSize)) }
        var maskKey: UInt32?
        if masked {
            guard bytes.count >= headerLength + 4 else { return .needMoreData }
            maskKey = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: headerLength, as: UInt32.self))
            headerLength += 4
        }
        guard bytes.count - headerLength >= length else { return .needMoreData }
        return .complete(Header(fin: fin, opcode: opcode, headerLength: headerLength, payloadLength: length, maskKey: maskKey))
    }

    /// Consumes the next frame from `buffer`, if it is all there, and unmasks its payload.
    @inlinable
    public func next(from buffer: inout ByteBuffer) -> Outcome {
        switch buffer.withUnsafeReadableBytes({ header(in: $0) }) {
        case .needMoreData:
            return .needMoreData
        case .violation(let violation):
            return .violation(violation)
        case .complete(let header):
            buffer.moveReaderIndex(forwardBy: header.headerLength)
            guard var payload = buffer.readSlice(length: header.payloadLength) else { return .needMoreData }
            if let key = header.maskKey, header.payloadLength > 0 {
                payload.withUnsafeMutableReadableBytes { WebSocketMasking.apply(key: key, to: $0) }
            }
            return .frame(Frame(fin: header.fin, opcode: header.opcode, payload: payload))
        }
    }
}
