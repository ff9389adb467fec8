public import SiteflowRuntime
import Synchronization

/// Topic-based publish/subscribe for one node, callable from anywhere (a process, a job, a
/// test, a NIO handler).
///
/// Subscribers are kept in a sharded index (topic → subscribers; one lock per shard, so
/// broadcasts to different topics do not contend). A subscription belongs to a process and is
/// removed when that process ends.
///
/// PubSub knows nothing of what its subscribers are: a subscription is a handler or a
/// ``PubSubSubscriber``, and a ``PubSubDispatcher`` — the PubSub's own, or one given to
/// ``broadcast(_:dispatcher:)`` — delivers each broadcast to the topic's subscribers (as
/// Phoenix.PubSub does). The channel layer's ``ChannelDispatcher`` is the fastlane: it encodes a
/// broadcast once per serializer and writes the same bytes to every subscribed socket.
public final class PubSub: Sendable {
    struct Subscription: Sendable {
        let owner: ProcessID
        let subscriber: any PubSubSubscriber
    }

    final class Shard: Sendable {
        let topics = Mutex<[String: [Subscription]]>([:])
    }

    private let shards: [Shard]
    private let owners = Mutex<[ProcessID: [String]]>([:])
    private let runtime: Runtime
    private let backplaneBox = Mutex<(any PubSubBackplane)?>(nil)
    /// The dispatcher of ``broadcast(topic:event:payload:from:)`` and of remote broadcasts.
    public let dispatcher: any PubSubDispatcher

    /// A PubSub for `runtime`'s processes with `shards` lock shards (default 16), delivering with
    /// `dispatcher` (default ``DirectDispatcher``: each subscriber delivers for itself; a node
    /// with sockets passes a ``ChannelDispatcher``).
    public init(runtime: Runtime, shards: Int = 16, dispatcher: any PubSubDispatcher = DirectDispatcher()) {
        self.runtime = runtime
        self.shards = (0..<max(shards, 1)).map { _ in Shard() }
        self.dispatcher = dispatcher
    }

    /// The backplane broadcasts are also published to (none: local only).
    public var backplane: (any PubSubBackplane)? {
        get { backplaneBox.withLock { $0 } }
        set { backplaneBox.withLock { $0 = newValue } }
    }

    private func shard(for topic: String) -> Shard {
        var hasher = Hasher()
        hasher.combine(topic)
        let hash = UInt(bitPattern: hasher.finalize())
        return shards[Int(hash % UInt(shards.count))]
    }

    // MARK: Subscribing

    /// Subscribes `process` to `topic`: every broadcast (except those `from` this process)
    /// arrives as `transform(broadcast)`. Removed when the process ends.
    public func subscribe<M: Sendable>(_ process: PID<M>, to topic: String,
                                       _ transform: @escaping @Sendable (PubSubBroadcast) -> M) {
        add(topic, Subscription(owner: process.id, subscriber: PubSubHandler { process.send(transform($0)) }))
    }

    /// Subscribes a handler owned by `owner` (called on the broadcaster's thread: keep it short).
    public func subscribe(_ owner: ProcessID, to topic: String, handler: @escaping @Sendable (PubSubBroadcast) -> Void) {
        add(topic, Subscription(owner: owner, subscriber: PubSubHandler(handler)))
    }

    /// Subscribes `subscriber`, owned by `owner`, to `topic`. Removed when `owner` ends.
    public func subscribe(_ owner: ProcessID, to topic: String, subscriber: any PubSubSubscriber) {
        add(topic, Subscription(owner: owner, subscriber: subscriber))
    }

    /// Subscribes `subscriber` for an owner that subscribes to this one topic only, for its whole
    /// life (a socket's channel): the owner is not entered in the owners index, and its exit
    /// removes this one subscription — an idle connection then costs no owners entry and no
    /// topic list. (``unsubscribe(_:from:)`` still removes it.)
    public func subscribeOnly(_ owner: ProcessID, to topic: String, subscriber: any PubSubSubscriber) {
        insert(Subscription(owner: owner, subscriber: subscriber), into: topic)
        // Runs at once if the owner already ended, so no subscription outlives its process.
        runtime.onExit(of: owner) { [weak self] owner, _ in self?.remove(owner, from: topic) }
    }

    private func add(_ topic: String, _ subscription: Subscription) {
        insert(subscription, into: topic)
        let firstTopic = owners.withLock { owners -> Bool in
            let isNew = owners[subscription.owner] == nil
            owners[subscription.owner, default: []].append(topic)
            return isNew
        }
        if firstTopic {
            // Runs at once if the owner already ended, so no subscription outlives its process.
            runtime.onExit(of: subscription.owner) { [weak self] owner, _ in self?.removeAll(of: owner) }
        }
    }

    private func insert(_ subscription: Subscription, into topic: String) {
        shard(for: topic).topics.withLock { $0[topic, default: []].append(subscription) }
    }

    /// Removes every subscription of `owner` to `topic`.
    public func unsubscribe(_ owner: ProcessID, from topic: String) {
        remove(owner, from: topic)
        owners.withLock { owners in
            guard var topics = owners[owner] else { return }
            topics.removeAll { $0 == topic }
            owners[owner] = topics
        }
    }

    /// Removes `owner`'s subscriptions to `topic`. The list is taken out of the dictionary so
    /// that it is changed in place (reading it with `topics[topic]` and writing it back copied
    /// the whole list on every removal: 15,000 subscribers leaving one topic took 15 s), and an
    /// entry is swapped with the last one rather than the rest shifted (broadcast order is not
    /// kept anyway).
    private func remove(_ owner: ProcessID, from topic: String) {
        shard(for: topic).topics.withLock { topics in
            guard var list = topics.removeValue(forKey: topic) else { return }
            var index = list.count - 1
            while index >= 0 {
                if list[index].owner == owner {
                    list.swapAt(index, list.count - 1)
                    list.removeLast()
                }
                index -= 1
            }
            if !list.isEmpty { topics[topic] = list }
        }
    }

    private func removeAll(of owner: ProcessID) {
        let topics = owners.withLock { $0.removeValue(forKey: owner) } ?? []
        for topic in Set(topics) { remove(owner, from: topic) }
    }

    /// The number of subscriptions to `topic`.
    public func subscriberCount(_ topic: String) -> Int {
        shard(for: topic).topics.withLock { $0[topic]?.count ?? 0 }
    }

    /// The number of topics with at least one subscriber.
    public var topicCount: Int {
        shards.reduce(0) { sum, shard in sum + shard.topics.withLock { $0.count } }
    }

    // MARK: Broadcasting

    /// Delivers to every local subscriber of `topic` except `from`'s subscriptions, with the
    /// PubSub's ``dispatcher``, and publishes to the backplane if one is set.
    public func broadcast(topic: String, event: String, payload: PhoenixPayload, from: ProcessID? = nil) {
        broadcast(PubSubBroadcast(topic: topic, event: event, payload: payload, from: from), dispatcher: dispatcher)
    }

    /// Delivers `broadcast` to every local subscriber of its topic (except its sender's
    /// subscriptions) with `dispatcher`, and publishes it to the backplane if one is set.
    public func broadcast(_ broadcast: PubSubBroadcast, dispatcher: some PubSubDispatcher) {
        deliverLocally(broadcast, dispatcher: dispatcher)
        backplane?.publish(broadcast)
    }

    /// Delivers a broadcast that came from another node to the local subscribers only, with the
    /// PubSub's ``dispatcher``.
    public func deliverFromRemote(_ broadcast: PubSubBroadcast) {
        deliverLocally(broadcast, dispatcher: dispatcher)
    }

    /// Local fan-out. The subscriber list is copied out of the lock (a reference-count bump,
    /// copy-on-write), so the dispatcher never runs under the shard lock.
    private func deliverLocally(_ broadcast: PubSubBroadcast, dispatcher: some PubSubDispatcher) {
        guard let subscriptions = shard(for: broadcast.topic).topics.withLock({ $0[broadcast.topic] }) else { return }
        dispatcher.dispatch(broadcast, to: PubSubSubscribers(subscriptions: subscriptions, excluded: broadcast.from))
    }
}
