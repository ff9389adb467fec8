/// Why the socket's state machine closes the connection: the typed reason the socket counts by,
/// with the close code and the text the client sees.
public enum SocketCloseReason: Sendable, Hashable, CaseIterable {
    /// No inbound frame for ``SocketLimits/idleTimeout``.
    case idleTimeout
    /// The client kept sending past the inbound rate limit
    /// (``SocketLimits/rateLimitedFramesBeforeClose`` frames refused without recovering).
    case inboundRateExceeded

    /// The WebSocket close code.
    public var code: TransportCloseCode {
        switch self {
        case .idleTimeout: .normal
        case .inboundRateExceeded: .policyViolation
        }
    }

    /// The close reason the client sees.
    public var text: String {
        switch self {
        case .idleTimeout: "idle timeout"
        case .inboundRateExceeded: "inbound rate limit exceeded"
        }
    }

    /// The counter this close bumps.
    public var counter: SocketStatistics.Counter {
        switch self {
        case .idleTimeout: .idleTimeouts
        case .inboundRateExceeded: .inboundRateCloses
        }
    }
}
