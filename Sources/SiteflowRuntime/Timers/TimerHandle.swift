/// A cancellation handle for a timer scheduled on a ``TimerService``: the timer's slot id plus generation.
///
/// Twelve bytes (wheel id and shard), `Sendable` and `Hashable`; a handle for a fired or cancelled timer stays harmless forever.
public struct TimerHandle: Hashable, Sendable, CustomStringConvertible {
    /// The wheel id (slot index + generation) this handle names.
    package let id: TimerID
    /// Which of the service's shards holds the timer.
    let shard: UInt32

    init(id: TimerID, shard: UInt32 = 0) {
        self.id = id
        self.shard = shard
    }

    /// A short human-readable form.
    public var description: String { shard == 0 ? id.description : "\(id)@\(shard)" }
}
