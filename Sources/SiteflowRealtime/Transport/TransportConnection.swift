/// The transport side of one client connection, as the socket layer sees it: a bounded outbound
/// queue and a way to close. Implemented by the server's WebSocket and long-poll transports.
///
/// All methods are callable from any thread and never block.
public protocol TransportConnection: AnyObject, Sendable {
    /// Queues a frame for the client. Returns `false`, and queues nothing, when the connection is
    /// closed or its bounded outbound queue is full (a slow consumer); the caller then closes it
    /// with ``TransportCloseCode/tryAgainLater`` or a reason of its own.
    func send(_ frame: TransportFrame) -> Bool

    /// Whether the connection is closed or closing (by either side): it takes no more frames,
    /// whatever its queue holds. Tells a refused ``send(_:)`` of a closed connection from one of
    /// a full queue, so a slow consumer is counted only when it is one.
    var isClosing: Bool { get }

    /// Closes the connection with a WebSocket close code and a short reason (long-poll: ends the
    /// session, so the client's next poll gets 410). Idempotent.
    func close(code: TransportCloseCode, reason: String)

    /// The session has consumed a received frame of `byteCount` payload bytes (only sessions
    /// whose ``TransportSession/reportsConsumption`` is `true` call it, once per frame). Lets
    /// a transport that paused reading for backpressure resume.
    func inboundConsumed(byteCount: Int)
}

extension TransportConnection {
    /// Transports without inbound backpressure ignore consumption reports.
    public func inboundConsumed(byteCount: Int) {}
}
