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

    /// Whether the session reports each received frame's consumption through
    /// ``TransportConnection/inboundConsumed(byteCount:)``. When it does, the transport stops
    /// reading from the client while too many received bytes are unconsumed (backpressure);
    /// when it does not (the default), a frame counts as consumed once handed over.
    var reportsConsumption: Bool { get }
}

extension TransportSession {
    /// Sessions do not report consumption unless they say so.
    public var reportsConsumption: Bool { false }
}
