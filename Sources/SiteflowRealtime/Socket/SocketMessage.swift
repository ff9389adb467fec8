/// What a socket process receives.
public enum SocketMessage: Sendable {
    /// A frame from the client.
    case frame(TransportFrame)
    /// The transport closed the connection.
    case transportClosed(code: TransportCloseCode?, reason: String)
    /// Check the idle timeout against the socket's clock (sent by ``RealtimeEndpoint/tick()``).
    case tick
    /// Close the connection with this code and reason (e.g. node shutdown: ``TransportCloseCode/goingAway``).
    case close(code: TransportCloseCode, reason: String)
}
