/// One tracked presence: a process (``owner``, e.g. a channel) present under ``key`` on ``topic``
/// with ``meta`` (which carries its `phx_ref`).
public struct PresenceEntry: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The presence key (usually a user id).
    public var key: String
    /// Identifies the tracking process across the cluster (`node/serial`).
    public var owner: String
    /// The metadata as clients see it, `phx_ref` (and `phx_ref_prev` after an update) included.
    public var meta: JSONObject

    /// Creates an entry.
    public init(topic: String, key: String, owner: String, meta: JSONObject) {
        self.topic = topic
        self.key = key
        self.owner = owner
        self.meta = meta
    }
}
