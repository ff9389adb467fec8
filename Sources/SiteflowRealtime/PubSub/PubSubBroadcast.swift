public import SiteflowRuntime

/// One broadcast as PubSub hands it to its ``PubSubDispatcher`` and subscribers, and as it travels
/// to other nodes through a ``PubSubBackplane``.
public struct PubSubBroadcast: Sendable {
    /// The topic.
    public var topic: String
    /// The event.
    public var event: String
    /// The payload.
    public var payload: PhoenixPayload
    /// The sender to exclude (``PubSub/broadcast(topic:event:payload:from:)``), local to this node.
    public var from: ProcessID?

    /// Creates a broadcast.
    public init(topic: String, event: String, payload: PhoenixPayload, from: ProcessID? = nil) {
        self.topic = topic
        self.event = event
        self.payload = payload
        self.from = from
    }
}
