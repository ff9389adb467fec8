public import NIOCore

/// What a ``WebSocketClientConnection`` tells its owner, always on the connection's event loop.
public protocol WebSocketClientDelegate: AnyObject, Sendable {
    /// A complete message (fragments already reassembled) or a pong.
    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage)
    /// The connection ended, once: `code` is the server's close code, or `nil` when the TCP
    /// connection dropped without a close frame.
    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String)
}

/// A message a WebSocket client receives.
public enum WebSocketClientMessage: Sendable, Equatable {
    /// A text message (bytes as sent; the client does not validate UTF-8).
    case text(ByteBuffer)
    /// A binary message.
    case binary(ByteBuffer)
    /// A pong, answering one of our pings.
    case pong(ByteBuffer)
}
