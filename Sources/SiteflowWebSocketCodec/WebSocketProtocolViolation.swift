/// A peer broke the WebSocket protocol (RFC 6455): the close code to answer with and why.
///
/// Codes used: 1002 (protocol error), 1007 (a close reason that is not UTF-8) and 1009 (a
/// frame larger than the limit).
public struct WebSocketProtocolViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// The close code to send (RFC 6455 §7.4.1).
    public var closeCode: UInt16
    /// A short reason, fit for a close frame.
    public var reason: String

    /// A violation answered with `closeCode` and `reason`.
    public init(closeCode: UInt16, reason: String) {
        self.closeCode = closeCode
        self.reason = reason
    }

    /// 1002: the frame breaks the protocol.
    public static func protocolError(_ reason: String) -> Self { Self(closeCode: 1002, reason: reason) }
    /// 1007: a payload that must be UTF-8 is not.
    public static func invalidPayload(_ reason: String) -> Self { Self(closeCode: 1007, reason: reason) }
    /// 1009: a frame larger than the parser's limit.
    public static func messageTooBig(limit: Int) -> Self { Self(closeCode: 1009, reason: "frame larger than \(limit) bytes") }

    /// The code and the reason, for logs and test failures.
    public var description: String { "\(closeCode) \(reason)" }
}
