/// What a channel process receives.
public enum ChannelMessage: Sendable {
    /// Run ``Channel/afterJoin(socket:)`` (sent by the socket right after the join).
    case afterJoin
    /// A client message routed to this channel (including `phx_leave`).
    case inbound(PhoenixMessage)
    /// A broadcast of an intercepted event, for ``Channel/handleOut(event:payload:socket:)``.
    case intercepted(event: String, payload: PhoenixPayload)
    /// Any other message, for ``Channel/handleInfo(_:socket:)``.
    case info(any Sendable)
}
