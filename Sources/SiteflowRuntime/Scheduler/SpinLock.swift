import CSiteflowRuntime
import Synchronization

/// A test-and-test-and-set spinlock for critical sections of a few instructions (run-queue push,
/// pop, or a bounded batch copy). It never sleeps: on two cores a futex-based mutex convoyed under
/// stealing (see the prototype report), while these sections are shorter than a futex call.
final class SpinLock: Sendable {
    private let word = Atomic<Int>(0)

    init() {}

    @inline(__always)
    func lock() {
        while word.exchange(1, ordering: .acquiring) != 0 {
            while word.load(ordering: .relaxed) != 0 { sf_cpu_relax() }
        }
    }

    @inline(__always)
    func unlock() {
        word.store(0, ordering: .releasing)
    }
}
