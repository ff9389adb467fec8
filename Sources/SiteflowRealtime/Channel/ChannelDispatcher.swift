import SiteflowRuntime

/// The channel layer's ``PubSubDispatcher`` (Phoenix's `Phoenix.Channel.Server.dispatch/3`), the
/// fastlane: a broadcast is encoded at most once per serializer (V1 text, V2 text, or V2 binary
/// for binary payloads) into one `ByteBuffer`, and that same buffer is written to every socket
/// subscribed on the fastlane — no channel process runs, no per-subscriber encoding. Events a
/// channel intercepts go to its process instead; other subscribers deliver for themselves.
/// Fastlane writes are counted as ``SocketStatistics/Counter/fastlaneWrites``.
public struct ChannelDispatcher: PubSubDispatcher {
    private let statistics: SocketStatistics?

    /// A dispatcher counting its writes in `statistics` (default: the statistics of the sockets
    /// it writes to).
    public init(statistics: SocketStatistics? = nil) {
        self.statistics = statistics
    }

    /// Delivers `broadcast` (see the type's description).
    public func dispatch(_ broadcast: PubSubBroadcast, to subscribers: PubSubSubscribers) {
        var encodedV1: TransportFrame??
        var encodedV2: TransportFrame??
        var fastlaneWrites = 0
        var counter = statistics
        for subscriber in subscribers {
            guard let fastlane = subscriber as? Fastlane else {
                subscriber.deliver(broadcast)
                continue
            }
            if fastlane.intercepts(broadcast.event) {
                fastlane.channel.send(.intercepted(event: broadcast.event, payload: broadcast.payload))
                continue
            }
            let frame: TransportFrame?
            switch fastlane.output.serializer {
            case .v1:
                if encodedV1 == nil {
                    encodedV1 = .some(PhoenixSerializer.v1.encodeBroadcast(topic: broadcast.topic, event: broadcast.event,
                                                                             payload: broadcast.payload))
                }
                frame = encodedV1 ?? nil
            case .v2:
                if encodedV2 == nil {
                    encodedV2 = .some(PhoenixSerializer.v2.encodeBroadcast(topic: broadcast.topic, event: broadcast.event,
                                                                             payload: broadcast.payload))
                }
                frame = encodedV2 ?? nil
            }
            if fastlane.write(frame) {
                fastlaneWrites += 1
                if counter == nil { counter = fastlane.output.statistics }
            }
        }
        if fastlaneWrites > 0 { counter?.increment(.fastlaneWrites, by: fastlaneWrites) }
    }
}
