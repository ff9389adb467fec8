import Dispatch
import Synchronization

/// A count that many processes bring down and one thread waits on, without spinning: the last
/// ``countDown()`` signals a semaphore. This is how every benchmark waits for its processes (the
/// anchors do the same with an `atomics` counter or an `atomic.Int64`).
final class Countdown: Sendable {
    private let remaining: Atomic<Int>
    private let semaphore = DispatchSemaphore(value: 0)

    /// Creates a countdown that reaches zero after `count` calls of ``countDown()``.
    init(_ count: Int) {
        remaining = Atomic(count)
    }

    /// Starts a new round of `count` (only while nobody is counting down).
    func reset(to count: Int) {
        remaining.store(count, ordering: .sequentiallyConsistent)
    }

    /// Counts one down; the call that reaches zero wakes the waiter.
    @inline(__always)
    func countDown() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            semaphore.signal()
        }
    }

    /// Blocks the calling thread (never a scheduler worker) until the count reaches zero.
    func wait() {
        semaphore.wait()
    }
}
