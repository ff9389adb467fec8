/// The limits a ``SocketStateMachine`` enforces: channels per socket, the idle timeout and the
/// inbound rate limit.
public struct SocketLimits: Sendable, Hashable {
    /// Most channels joined at once (Phoenix's default 100).
    public var maxChannels: Int
    /// Close after this long without an inbound frame (default 60 s).
    public var idleTimeout: Duration
    /// Inbound burst allowed by the rate limiter (default 200 messages).
    public var rateLimitBurst: Int
    /// Sustained inbound messages per second (default 100).
    public var rateLimitPerSecond: Double

    /// Creates limits; every parameter has a default.
    public init(maxChannels: Int = 100, idleTimeout: Duration = .seconds(60), rateLimitBurst: Int = 200,
                rateLimitPerSecond: Double = 100) {
        self.maxChannels = maxChannels
        self.idleTimeout = idleTimeout
        self.rateLimitBurst = rateLimitBurst
        self.rateLimitPerSecond = rateLimitPerSecond
    }
}
