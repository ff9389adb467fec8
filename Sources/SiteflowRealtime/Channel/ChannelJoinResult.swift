/// The answer of ``Channel/join(topic:payload:socket:)``.
public enum ChannelJoinResult: Sendable, Hashable {
    /// Joined; the client gets an ok reply with this response (`{}` by default).
    case ok(JSONValue = .emptyObject)
    /// Refused; the client gets an error reply with this response, e.g. `{"reason":"unauthorized"}`.
    case error(JSONValue)

    /// Refused with `{"reason": reason}`.
    public static func refuse(_ reason: String) -> ChannelJoinResult {
        .error(.object(JSONObject([(key: "reason", value: .string(reason))])))
    }
}
