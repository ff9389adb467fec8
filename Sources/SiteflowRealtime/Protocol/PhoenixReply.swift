/// A reply to a client request (`phx_reply`): the request's refs, a status and a response.
public struct PhoenixReply: Sendable, Hashable {
    /// Whether the request succeeded.
    public enum Status: String, Sendable, Hashable {
        /// `"ok"`.
        case ok
        /// `"error"`.
        case error
    }

    /// The join the request belonged to.
    public var joinRef: String?
    /// The request's ref.
    public var ref: String?
    /// The topic.
    public var topic: String
    /// `ok` or `error`.
    public var status: Status
    /// The response (`{}` when there is nothing to say).
    public var response: PhoenixPayload

    /// Creates a reply.
    public init(joinRef: String?, ref: String?, topic: String, status: Status, response: PhoenixPayload = .empty) {
        self.joinRef = joinRef
        self.ref = ref
        self.topic = topic
        self.status = status
        self.response = response
    }

    /// An error reply `{"reason": reason}` to `message`.
    public static func error(to message: PhoenixMessage, reason: String) -> PhoenixReply {
        PhoenixReply(joinRef: message.joinRef, ref: message.ref, topic: message.topic, status: .error,
                     response: .json(.object(JSONObject([(key: "reason", value: .string(reason))]))))
    }

    /// An ok reply to `message`.
    public static func ok(to message: PhoenixMessage, response: PhoenixPayload = .empty) -> PhoenixReply {
        PhoenixReply(joinRef: message.joinRef, ref: message.ref, topic: message.topic, status: .ok, response: response)
    }
}
