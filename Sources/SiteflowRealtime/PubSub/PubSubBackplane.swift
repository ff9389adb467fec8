/// Where PubSub sends broadcasts for the other nodes of a cluster (PostgreSQL `NOTIFY`, Redis,
/// NATS…). A backplane delivers what it receives from other nodes with
/// ``PubSub/deliverFromRemote(_:)``, which fans out locally only.
///
/// Implementations must not block: batch and send from their own process or task.
public protocol PubSubBackplane: Sendable {
    /// Publishes a local broadcast to the other nodes (``PubSubBroadcast/from`` is meaningless
    /// there and may be dropped).
    func publish(_ broadcast: PubSubBroadcast)
}
