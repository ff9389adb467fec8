/// The frame types RFC 6455 (§5.2) defines; any other opcode is a protocol error.
public enum WebSocketFrameOpcode: UInt8, Sendable, Hashable, CaseIterable {
    /// The next fragment of a fragmented text or binary message.
    case continuation = 0x0
    /// A text message (or its first fragment): UTF-8.
    case text = 0x1
    /// A binary message (or its first fragment).
    case binary = 0x2
    /// The close handshake: an optional code and UTF-8 reason.
    case close = 0x8
    /// A ping, to be answered by a pong with the same payload.
    case ping = 0x9
    /// A pong.
    case pong = 0xA

    /// Whether this is a control frame (close, ping, pong): final, at most 125 bytes.
    @inlinable
    public var isControl: Bool { rawValue & 0x08 != 0 }
}
