/// A WebSocket close code (RFC 6455 §7.4), used by both transports to say why a connection ended.
public struct TransportCloseCode: RawRepresentable, Sendable, Hashable {
    /// The numeric code sent in the close frame.
    public var rawValue: UInt16
    /// Wraps a numeric close code.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the socket finished normally (e.g. the server is shutting the socket down).
    public static let normal = TransportCloseCode(rawValue: 1000)
    /// 1001: the server is going away (node shutdown); clients reconnect elsewhere.
    public static let goingAway = TransportCloseCode(rawValue: 1001)
    /// 1002: the client broke the WebSocket protocol.
    public static let protocolError = TransportCloseCode(rawValue: 1002)
    /// 1003: a frame type the socket does not accept.
    public static let unsupportedData = TransportCloseCode(rawValue: 1003)
    /// 1007: a text frame that is not valid UTF-8.
    public static let invalidPayload = TransportCloseCode(rawValue: 1007)
    /// 1008: a policy violation (flooding, failed authentication after connect).
    public static let policyViolation = TransportCloseCode(rawValue: 1008)
    /// 1009: a frame larger than the configured limit.
    public static let messageTooBig = TransportCloseCode(rawValue: 1009)
    /// 1011: the server hit an unexpected condition.
    public static let internalError = TransportCloseCode(rawValue: 1011)
    /// 1013: try again later (the socket could not keep up: its outbound queue was full).
    public static let tryAgainLater = TransportCloseCode(rawValue: 1013)
}
