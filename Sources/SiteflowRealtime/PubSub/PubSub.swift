public import SiteflowRuntime
import Synchronization

/// Topic-based publish/subscribe for one node, callable from anywhere (a process, a job, a
/// test, a NIO handler).
///
/// Subscribers are kept in a sharded index (topic → subscribers; one lock per shard, so
/// broadcasts to different topics do not contend). A subscription belongs to a process and is
/// removed when that process ends.
///
/// **Fastlane**: a socket's channel subscribes with its ``SocketOutput``. A broadcast is encoded
/// at most once per serializer (V1 text, V2 text or V2 binary) into one `ByteBuffer`, and the
/// same buffer is written to every such subscriber's connection — no channel process runs,
/// no per-subscriber encoding. Events the channel intercepts go to its process instead
/// (``ChannelMessage/intercepted(event:payload:)``).
public final class PubSub: Sendable {
    /// A socket channel's fastlane subscription: one object, so iterating subscribers retains
    /// one reference instead of three.
    final class Fastlane: Sendable {
        let output: SocketOutput
        let intercepts: Set<String>
        let channel: PID<ChannelMessage>
        init(output: SocketOutput, intercepts: Set<String>, channel: PID<ChannelMessage>) {
            self.output = output
            self.intercepts = intercepts
            self.channel = channel
        }
    }

    enum Target: Sendable {
        case fastlane(Fastlane)
        case handler(@Sendable (PubSubBroadcast) -> Void)
    }

    struct Subscription: Sendable {
        let owner: ProcessID
        let target: Target
    }

    final class Shard: Sendable {
        let topics = Mutex<[String: [Subscription]]>([:])
    }

    private let shards: [Shard]
    private let owners = Mutex<[ProcessID: [String]]>([:])
    private let runtime: Runtime
    private let backplaneBox = Mutex<(any PubSubBackplane)?>(nil)
    let statistics: SocketStatistics?

    /// A PubSub for `runtime`'s processes with `shards` lock shards (default 16).
    public init(runtime: Runtime, shards: Int = 16, statistics: SocketStatistics? = nil) {
        self.runtime = runtime
        self.shards = (0..<max(shards, 1)).map { _ in Shard() }
        self.statistics = statistics
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
        add(topic, Subscription(owner: process.id, target: .handler { process.send(transform($0)) }))
    }

    /// Subscribes a handler owned by `owner` (called on the broadcaster's thread: keep it short).
    public func subscribe(_ owner: ProcessID, to topic: String, handler: @escaping @Sendable (PubSubBroadcast) -> Void) {
        add(topic, Subscription(owner: owner, target: .handler(handler)))
    }

    /// Subscribes a socket's channel on the fastlane (see the type's description).
    ///
    /// A channel subscribes to its one topic once, so it is not entered in the owners index:
    /// its exit hook removes that one subscription (an idle connection then costs no owners
    /// entry and no topic list).
    func subscribeFastlane(channel: PID<ChannelMessage>, topic: String, output: SocketOutput, intercepts: Set<String>) {
        let subscription = Subscription(owner: channel.id, target: .fastlane(Fastlane(output: output, intercepts: intercepts, channel: channel)))
        insert(subscription, into: topic)
        // Runs at once if the channel already ended, so no subscription outlives its process.
        runtime.onExit(of: channel.id) { [weak self] owner, _ in self?.remove(owner, from: topic) }
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

    /// Delivers to every local subscriber of `topic` except `from`'s subscriptions, and publishes
    /// to the backplane if one is set.
    public func broadcast(topic: String, event: String, payload: PhoenixPayload, from: ProcessID? = nil) {
        let broadcast = PubSubBroadcast(topic: topic, event: event, payload: payload, from: from)
        deliverLocally(broadcast)
        backplane?.publish(broadcast)
    }

    /// Delivers a broadcast that came from another node to the local subscribers only.
    public func deliverFromRemote(_ broadcast: PubSubBroadcast) {
        deliverLocally(broadcast)
    }

    /// Local fan-out. The subscriber list is copied out of the lock (a reference-count bump,
    /// copy-on-write), so writes to connections never happen under the shard lock.
    private func deliverLocally(_ broadcast: PubSubBroadcast) {
        guard let subscribers = shard(for: broadcast.topic).topics.withLock({ $0[broadcast.topic] }) else { return }
        var encodedV1: TransportFrame??
        var encodedV2: TransportFrame??
        var fastlaneWrites = 0
        for subscription in subscribers {
            if let from = broadcast.from, subscription.owner == from { continue }
            switch subscription.target {
            case .handler(let handler):
                handler(broadcast)
            case .fastlane(let fastlane):
                let output = fastlane.output
                if !fastlane.intercepts.isEmpty, fastlane.intercepts.contains(broadcast.event) {
                    fastlane.channel.send(.intercepted(event: broadcast.event, payload: broadcast.payload))
                    continue
                }
                let frame: TransportFrame?
                switch output.serializer {
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
                guard let frame else {
                    output.statistics.increment(.unencodable)
                    continue
                }
                if !output.isClosed, output.write(frame) { fastlaneWrites += 1 }
            }
        }
        if fastlaneWrites > 0 { statistics?.increment(.fastlaneWrites, by: fastlaneWrites) }
    }
}
