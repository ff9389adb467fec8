import SiteflowRuntime

/// A socket's channel subscribed to its topic on the fastlane: broadcasts are written straight to
/// the socket's connection (``SocketOutput``), except the events the channel intercepts, which go
/// to its process (``ChannelMessage/intercepted(event:payload:)``). One object, so iterating
/// subscribers retains one reference instead of three.
///
/// ``ChannelDispatcher`` encodes a broadcast once for all of a topic's fastlane subscribers;
/// ``deliver(_:)`` (any other dispatcher) encodes it for this subscriber alone.
final class Fastlane: PubSubSubscriber {
    let output: SocketOutput
    let intercepts: Set<String>
    let channel: PID<ChannelMessage>

    init(output: SocketOutput, intercepts: Set<String>, channel: PID<ChannelMessage>) {
        self.output = output
        self.intercepts = intercepts
        self.channel = channel
    }

    /// Subscribes `channel` to `topic` on the fastlane of `pubsub`, for the channel's life.
    static func subscribe(_ channel: PID<ChannelMessage>, to topic: String, output: SocketOutput, intercepts: Set<String>,
                          in pubsub: PubSub) {
        pubsub.subscribeOnly(channel.id, to: topic, subscriber: Fastlane(output: output, intercepts: intercepts, channel: channel))
    }

    /// Whether the channel intercepts `event` (then its process handles the broadcast).
    @inline(__always)
    func intercepts(_ event: String) -> Bool {
        !intercepts.isEmpty && intercepts.contains(event)
    }

    /// Writes an encoded broadcast (`nil`: this serializer cannot carry it, counted). Returns
    /// whether the frame was written.
    @inline(__always)
    func write(_ frame: TransportFrame?) -> Bool {
        guard let frame else {
            output.statistics.increment(.unencodable)
            return false
        }
        return !output.isClosed && output.write(frame)
    }

    /// Delivers one broadcast to this channel alone.
    func deliver(_ broadcast: PubSubBroadcast) {
        if intercepts(broadcast.event) {
            channel.send(.intercepted(event: broadcast.event, payload: broadcast.payload))
            return
        }
        let frame = output.serializer.encodeBroadcast(topic: broadcast.topic, event: broadcast.event, payload: broadcast.payload)
        if write(frame) { output.statistics.increment(.fastlaneWrites) }
    }
}
