/// The limits a ``SocketStateMachine`` enforces: channels per socket, the idle timeout and the
/// inbound rate limit, which every inbound frame counts toward (heartbeats and malformed frames
/// included).
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

    /// Creates limits; every parameter has a default.
    public init(maxChannels: Int = 100, idleTimeout: Duration = .seconds(60), rateLimitBurst: Int = 200,
                rateLimitPerSecond: Double = 100, rateLimitedFramesBeforeClose: Int = 200) {
        self.maxChannels = maxChannels
        self.idleTimeout = idleTimeout
        self.rateLimitBurst = rateLimitBurst
        self.rateLimitPerSecond = rateLimitPerSecond
        self.rateLimitedFramesBeforeClose = rateLimitedFramesBeforeClose
    }
}
