import NIOCore
import SiteflowRealtime

/// The limits every WebSocket connection of a server enforces (taken from
/// ``ServerConfiguration``); one shared object, referenced by each connection, so that no limit
/// costs memory per connection.
final class WebSocketLimits: Sendable {
    /// The largest message, fragmented or not, in bytes (1009 above it).
    let maxMessageSize: Int
    /// Frames accepted by `send` and not yet written that a connection holds; a pong waiting to
    /// be written counts as one.
    let outboundQueueLimit: Int
    /// How long the server waits for the client's answer to its close frame.
    let closeHandshakeTimeout: TimeAmount
    /// The first receive buffer's size after the upgrade.
    let receiveBufferInitialSize: Int
    /// How many pings may arrive while an earlier one still waits for its pong (1008 beyond).
    let maxUnansweredPings: Int
    /// How long a frame or fragmented message may stay incomplete (1008 after it).
    let partialFrameTimeout: TimeAmount
    /// The node-wide budget of bytes held in incomplete frames.
    let partialFrameBudget: PartialFrameBudget
    /// Bytes handed to the session and not yet consumed beyond which a connection stops
    /// reading from its socket (it resumes below half of it).
    let inboundPendingLimit: Int
    /// Where the transport counts its events (the endpoint's counters, when it has them).
    let statistics: SocketStatistics?

    init(
        maxMessageSize: Int,
        outboundQueueLimit: Int,
        closeHandshakeTimeout: TimeAmount,
        receiveBufferInitialSize: Int,
        maxUnansweredPings: Int = 64,
        partialFrameTimeout: TimeAmount = .seconds(10),
        partialFrameBudget: PartialFrameBudget = PartialFrameBudget(limit: 256 << 20),
        inboundPendingLimit: Int = 1 << 20,
        statistics: SocketStatistics? = nil
    ) {
        self.maxMessageSize = maxMessageSize
        self.outboundQueueLimit = outboundQueueLimit
        self.closeHandshakeTimeout = closeHandshakeTimeout
        self.receiveBufferInitialSize = receiveBufferInitialSize
        self.maxUnansweredPings = maxUnansweredPings
        self.partialFrameTimeout = partialFrameTimeout
        self.partialFrameBudget = partialFrameBudget
        self.inboundPendingLimit = inboundPendingLimit
        self.statistics = statistics
    }

    /// Counts `counter` on the endpoint's statistics, if it has any.
    func count(_ counter: SocketStatistics.Counter) {
        statistics?.increment(counter)
    }
}
