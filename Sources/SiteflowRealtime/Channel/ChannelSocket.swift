public import SiteflowRuntime

/// What a channel sees of its client and the node, passed `inout` to every ``Channel`` callback:
/// its topic and join ref, its assigns, and the ways to talk (push to this client, broadcast to
/// the topic). `Sendable`: a copy may be handed to other processes or tasks to push later.
public struct ChannelSocket: Sendable {
    /// The joined topic, e.g. `room:lobby`.
    public let topic: String
    /// The join ref of this join (pushes carry it, so the client can drop stale ones).
    public let joinRef: String
    /// The channel's assigns (a copy of the socket's at join time, then its own).
    public var assigns: Assigns
    /// The channel process, once started (`nil` during `join`, which runs before it exists).
    public var channelID: ProcessID? { channel?.id }
    /// The channel process's address, once started: send it ``ChannelMessage/info(_:)`` from
    /// other processes (a timer, a job) to reach ``Channel/handleInfo(_:socket:)``.
    public internal(set) var channel: PID<ChannelMessage>?
    /// The node's PubSub.
    public let pubsub: PubSub
    let output: SocketOutput
    /// Where the reply to the push being handled goes (set around `handleIn`).
    /// (The push's topic is always this channel's: the socket forwards by topic.)
    var currentPush: (joinRef: String?, ref: String?)?

    init(topic: String, joinRef: String, assigns: Assigns, pubsub: PubSub, output: SocketOutput) {
        self.topic = topic
        self.joinRef = joinRef
        self.assigns = assigns
        self.pubsub = pubsub
        self.output = output
    }

    /// The reply to the client push being handled, to send later (see ``DeferredReply``); `nil`
    /// outside `handleIn` or when the push carries no ref (nothing to reply to).
    public func deferReply() -> DeferredReply? {
        guard let push = currentPush, push.ref != nil else { return nil }
        return DeferredReply(output: output, joinRef: push.joinRef, ref: push.ref, topic: topic)
    }

    /// The serializer this client speaks.
    public var serializer: PhoenixSerializer { output.serializer }

    /// Pushes an event to this client only (`[join_ref, null, topic, event, payload]`). Returns
    /// `false` if the connection is closed or could not keep up (it is then closed).
    @discardableResult
    public func push(_ event: String, _ payload: PhoenixPayload) -> Bool {
        output.push(PhoenixMessage(joinRef: joinRef, ref: nil, topic: topic, event: event, payload: payload))
    }

    /// Pushes a JSON payload to this client only.
    @discardableResult
    public func push(_ event: String, _ payload: JSONValue) -> Bool {
        push(event, .json(payload))
    }

    /// Broadcasts to every subscriber of the topic, this client included, on the fastlane
    /// (``ChannelDispatcher``).
    public func broadcast(_ event: String, _ payload: PhoenixPayload) {
        pubsub.broadcast(PubSubBroadcast(topic: topic, event: event, payload: payload),
                         dispatcher: ChannelDispatcher(statistics: output.statistics))
    }

    /// Broadcasts a JSON payload to every subscriber of the topic, this client included.
    public func broadcast(_ event: String, _ payload: JSONValue) {
        broadcast(event, .json(payload))
    }

    /// Broadcasts to every subscriber of the topic except this channel's own client, on the
    /// fastlane (``ChannelDispatcher``).
    public func broadcastFrom(_ event: String, _ payload: PhoenixPayload) {
        pubsub.broadcast(PubSubBroadcast(topic: topic, event: event, payload: payload, from: channelID),
                         dispatcher: ChannelDispatcher(statistics: output.statistics))
    }

    /// Broadcasts a JSON payload to every subscriber except this client.
    public func broadcastFrom(_ event: String, _ payload: JSONValue) {
        broadcastFrom(event, .json(payload))
    }
}
