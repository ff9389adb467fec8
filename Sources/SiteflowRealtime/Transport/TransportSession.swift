/// The socket layer's side of one accepted connection: the transport hands it every inbound
/// frame and tells it once when the connection has gone.
///
/// Implementations forward to the socket's process; the methods are called on the transport's
/// thread and must not block.
public protocol TransportSession: Sendable {
    /// One complete frame from the client, in arrival order.
    func received(_ frame: TransportFrame)

    /// The connection has closed (either side); called exactly once, after the last `received`.
    func transportClosed(code: TransportCloseCode?, reason: String)
}
