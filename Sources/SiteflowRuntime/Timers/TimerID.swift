/// Identifies one timer scheduled in a ``TimingWheel``: a slab slot index plus the slot's generation.
///
/// The generation changes every time the slot is freed, so a stale id never cancels a timer that
/// later reused the same slot.
package struct TimerID: Hashable, Sendable, CustomStringConvertible {
    /// The slab slot that holds (or held) the timer.
    package let index: UInt32
    /// The generation of the slot when the timer was scheduled.
    package let generation: UInt32

    init(index: UInt32, generation: UInt32) {
        self.index = index
        self.generation = generation
    }

    /// An id that never names a pending timer; cancelling it is always a no-op.
    static let inert = TimerID(index: .max, generation: 0)

    /// A short human-readable form, `timer#index.generation`.
    package var description: String { "timer#\(index).\(generation)" }
}
