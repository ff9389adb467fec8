/// How one broadcast reaches a topic's subscribers (Phoenix.PubSub's dispatcher): given the
/// subscribers, it delivers the broadcast to each, the way it chooses — e.g. encoding it once for
/// every socket (the channel layer's ``ChannelDispatcher``). PubSub knows nothing of what its
/// subscribers are.
public protocol PubSubDispatcher: Sendable {
    /// Delivers `broadcast` to every one of `subscribers` (the sender's own subscriptions are
    /// already left out). Runs on the broadcaster's thread, outside PubSub's locks; must not block.
    func dispatch(_ broadcast: PubSubBroadcast, to subscribers: PubSubSubscribers)
}

/// The dispatcher that hands the broadcast to each subscriber's own ``PubSubSubscriber/deliver(_:)``.
public struct DirectDispatcher: PubSubDispatcher {
    /// The direct dispatcher.
    public init() {}

    /// Calls ``PubSubSubscriber/deliver(_:)`` of every subscriber.
    public func dispatch(_ broadcast: PubSubBroadcast, to subscribers: PubSubSubscribers) {
        for subscriber in subscribers { subscriber.deliver(broadcast) }
    }
}
