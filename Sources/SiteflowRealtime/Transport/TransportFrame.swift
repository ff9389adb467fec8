public import NIOCore

/// One WebSocket-style message between a client and its socket, as a transport carries it.
///
/// The bytes are a `ByteBuffer` so that a broadcast encoded once can be handed to many
/// connections without a copy per subscriber (the fastlane).
public enum TransportFrame: Sendable, Equatable {
    /// A text message; its bytes are UTF-8 (the transport has validated them).
    case text(ByteBuffer)
    /// A binary message (Phoenix V2 binary frames).
    case binary(ByteBuffer)
}
