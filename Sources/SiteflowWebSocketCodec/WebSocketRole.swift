/// Which end of a WebSocket (RFC 6455) the codec serves; it decides the masking rule.
///
/// A client masks every frame it sends and a server masks none (§5.1), so a server's parser
/// refuses unmasked frames and a client's parser refuses masked ones.
public enum WebSocketRole: Sendable, Hashable {
    /// The server end: reads masked client frames, writes unmasked frames.
    case server
    /// The client end: reads unmasked server frames, writes masked frames.
    case client
}
