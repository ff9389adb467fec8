import SiteflowRuntime

/// The subscribers of one topic as a dispatcher sees them: a snapshot taken out of PubSub's lock
/// (a reference to the topic's list, copy-on-write: no copy), without the sender's subscriptions.
public struct PubSubSubscribers: Sequence, Sendable {
    let subscriptions: [PubSub.Subscription]
    let excluded: ProcessID?

    /// Walks the subscribers, skipping the excluded sender's.
    public struct Iterator: IteratorProtocol {
        private var base: IndexingIterator<[PubSub.Subscription]>
        private let excluded: ProcessID?

        init(_ subscriptions: [PubSub.Subscription], excluded: ProcessID?) {
            self.base = subscriptions.makeIterator()
            self.excluded = excluded
        }

        /// The next subscriber.
        public mutating func next() -> (any PubSubSubscriber)? {
            while let subscription = base.next() {
                if let excluded, subscription.owner == excluded { continue }
                return subscription.subscriber
            }
            return nil
        }
    }

    /// An iterator over the subscribers.
    public func makeIterator() -> Iterator {
        Iterator(subscriptions, excluded: excluded)
    }
}
