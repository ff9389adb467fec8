/// Why the socket refused one inbound message with an error reply: the typed reason the socket
/// counts by (``SocketStatistics/Counter``), whose ``rawValue`` is the reply's `reason` text.
public enum SocketRefusal: String, Sendable, Hashable, CaseIterable {
    /// A message to a topic the socket has not joined.
    case unmatchedTopic = "unmatched topic"
    /// A join past ``SocketLimits/maxChannels``.
    case tooManyChannels = "too many channels joined"
    /// A message past the inbound rate limit.
    case rateLimited = "rate limited"
    /// A `phx_join` past the socket's join rate limit (``SocketLimits/joinsPerSecond``).
    case joinRateLimited = "join rate limited"

    /// The counter this refusal bumps.
    public var counter: SocketStatistics.Counter {
        switch self {
        case .unmatchedTopic: .unmatchedTopic
        case .tooManyChannels: .channelLimitRefusals
        case .rateLimited: .rateLimited
        case .joinRateLimited: .joinRateLimited
        }
    }
}
