/// The limits a ``SocketStateMachine`` enforces: channels per socket, the idle timeout, the
/// inbound rate limit, which every inbound frame counts toward (heartbeats and malformed frames
/// included), and the join rate limit, which every `phx_join` counts toward.
public struct SocketLimits: Sendable, Hashable {
    /// Most channels joined at once (Phoenix's default 100).
    public var maxChannels: Int
    /// Close after this long without an inbound frame (default 60 s).
    public var idleTimeout: Duration
    /// Inbound burst allowed by the rate limiter (default 200 messages).
    public var rateLimitBurst: Int
    /// Sustained inbound messages per second (default 100).
    public var rateLimitPerSecond: Double
    /// Frames past the rate limit a socket may send (each refused) before it is closed with
    /// ``SocketCloseReason/inboundRateExceeded``; this allowance recovers at a tenth of
    /// ``rateLimitPerSecond``, so only a client that keeps exceeding the limit is closed
    /// (default 200).
    public var rateLimitedFramesBeforeClose: Int
    /// `phx_join`s a socket may send at once (rejoins included) before it is limited to
    /// ``joinsPerSecond`` (default 100, the default ``maxChannels``: a client can join all its
    /// channels at once).
    public var joinBurst: Int
    /// Sustained `phx_join`s per second per socket; a join past the limit is answered with the
    /// error `join rate limited` and starts no channel (default 10).
    public var joinsPerSecond: Double

    /// Creates limits; every parameter has a default.
    public init(maxChannels: Int = 100, idleTimeout: Duration = .seconds(60), rateLimitBurst: Int = 200,
                rateLimitPerSecond: Double = 100, rateLimitedFramesBeforeClose: Int = 200,
                joinBurst: Int = 100, joinsPerSecond: Double = 10) {
        self.maxChannels = maxChannels
        self.idleTimeout = idleTimeout
        self.rateLimitBurst = rateLimitBurst
        self.rateLimitPerSecond = rateLimitPerSecond
        self.rateLimitedFramesBeforeClose = rateLimitedFramesBeforeClose
        self.joinBurst = joinBurst
        self.joinsPerSecond = joinsPerSecond
    }
}
