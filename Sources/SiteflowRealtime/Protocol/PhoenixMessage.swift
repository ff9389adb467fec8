/// One Phoenix Channels message: `[join_ref, ref, topic, event, payload]` in V2 terms.
///
/// `joinRef` identifies the join a message belongs to (the client's current join of the topic);
/// `ref` identifies a request so that its reply can be matched. Both are `nil` where the
/// protocol sends `null` (broadcasts, server pushes, V1 messages).
public struct PhoenixMessage: Sendable, Hashable {
    /// The join this message belongs to, or `nil`.
    public var joinRef: String?
    /// The request reference, or `nil`.
    public var ref: String?
    /// The topic, e.g. `room:lobby`.
    public var topic: String
    /// The event, e.g. `phx_join`, `new_msg`.
    public var event: String
    /// The payload.
    public var payload: PhoenixPayload

    /// Creates a message.
    public init(joinRef: String?, ref: String?, topic: String, event: String, payload: PhoenixPayload) {
        self.joinRef = joinRef
        self.ref = ref
        self.topic = topic
        self.event = event
        self.payload = payload
    }
}

/// The protocol's reserved event and topic names.
public enum PhoenixEvent {
    /// A client joins a topic.
    public static let join = "phx_join"
    /// A client leaves a topic.
    public static let leave = "phx_leave"
    /// A reply to a request (`{status, response}`).
    public static let reply = "phx_reply"
    /// The server tells the client a channel crashed.
    public static let error = "phx_error"
    /// The server tells the client a channel closed.
    public static let close = "phx_close"
    /// The client's heartbeat, on topic ``heartbeatTopic``.
    public static let heartbeat = "heartbeat"
    /// The topic heartbeats use.
    public static let heartbeatTopic = "phoenix"
}
