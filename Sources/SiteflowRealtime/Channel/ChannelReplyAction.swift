public import SiteflowRuntime

/// The answer of ``Channel/handleIn(event:payload:socket:)``.
public enum ChannelReplyAction: Sendable {
    /// Reply to the client's push with this status and response.
    case reply(PhoenixReply.Status, PhoenixPayload)
    /// Do not reply (the client's push times out unless something else answers it).
    case noReply
    /// Stop the channel with `reason` (`normal`/`shutdown` → `phx_close`, anything else →
    /// `phx_error`), first replying if `reply` is given.
    case stop(ExitReason, reply: (status: PhoenixReply.Status, response: PhoenixPayload)?)

    /// Reply ok with a JSON response.
    public static func ok(_ response: JSONValue = .emptyObject) -> ChannelReplyAction { .reply(.ok, .json(response)) }

    /// Reply error with `{"reason": reason}`.
    public static func error(_ reason: String) -> ChannelReplyAction {
        .reply(.error, .json(.object(JSONObject([(key: "reason", value: .string(reason))]))))
    }
}
