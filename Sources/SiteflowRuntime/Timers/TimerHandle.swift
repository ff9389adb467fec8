/// A cancellation handle for a timer scheduled on a ``TimerService``: the timer's slot id plus generation.
///
/// Eight bytes, `Sendable` and `Hashable`; a handle for a fired or cancelled timer stays harmless forever.
public struct TimerHandle: Hashable, Sendable, CustomStringConvertible {
    /// The wheel id (slot index + generation) this handle names.
    public let id: TimerID

    init(id: TimerID) {
        self.id = id
    }

    /// A short human-readable form.
    public var description: String { id.description }
}
