/// What a subscription delivers to, besides a plain handler: e.g. a socket's channel on the
/// fastlane. A ``PubSubDispatcher`` may recognise its own kinds of subscribers and deliver to
/// them in bulk; any dispatcher falls back on ``deliver(_:)``.
public protocol PubSubSubscriber: AnyObject, Sendable {
    /// Delivers one broadcast to this subscriber alone (called on the broadcaster's thread: must
    /// not block).
    func deliver(_ broadcast: PubSubBroadcast)
}

/// A subscriber that calls a closure with each broadcast.
final class PubSubHandler: PubSubSubscriber {
    let handler: @Sendable (PubSubBroadcast) -> Void

    init(_ handler: @escaping @Sendable (PubSubBroadcast) -> Void) {
        self.handler = handler
    }

    func deliver(_ broadcast: PubSubBroadcast) {
        handler(broadcast)
    }
}
