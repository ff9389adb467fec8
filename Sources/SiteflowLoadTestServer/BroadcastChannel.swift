public import SiteflowRealtime

/// A stateless broadcast room for load tests (topics `bench:*`, added only by `siteflow serve
/// --bench-topics`, never part of the node's own routes):
/// a join is accepted with no history and no presence, and every `new_msg` is broadcast to the
/// topic as it came (fastlane) and answered ok. It measures the socket layer itself — sockets,
/// channel processes, PubSub — without the chat's store and presence, whose join storms are
/// quadratic by nature (every member is told about every other).
public struct BroadcastChannel: Channel {
    /// A channel; it keeps no state.
    public init() {}

    public mutating func join(topic: String, payload: JSONValue, socket: inout ChannelSocket) throws -> ChannelJoinResult {
        .ok()
    }

    public mutating func handleIn(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws -> ChannelReplyAction {
        guard event == "new_msg" else { return .error("unknown event \(event)") }
        socket.broadcast("new_msg", payload)
        return .ok()
    }
}
