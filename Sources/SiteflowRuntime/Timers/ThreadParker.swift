#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A one-permit park/unpark primitive for a single sleeping thread, built on a pthread condition
/// variable that times out on `CLOCK_MONOTONIC`.
///
/// `unpark()` before `park` is never lost: the permit stays set until the next `park` consumes it.
// @unchecked Sendable: `permit` is only read or written while `mutex` is held, and the pthread
// objects live at stable heap addresses from init to deinit.
final class ThreadParker: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var permit = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Sets the permit and wakes the parked thread, if any.
    func unpark() {
        pthread_mutex_lock(mutex)
        permit = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until the permit is set (consuming it) or `timeoutNanoseconds` elapse; `nil` waits forever.
    func park(timeoutNanoseconds: UInt64?) {
        var deadline = timespec()
        if let timeoutNanoseconds {
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let capped = min(timeoutNanoseconds, UInt64(Int32.max) * 1_000_000_000)
            let nanos = UInt64(deadline.tv_nsec) + capped % 1_000_000_000
            deadline.tv_sec += Int(capped / 1_000_000_000) + Int(nanos / 1_000_000_000)
            deadline.tv_nsec = Int(nanos % 1_000_000_000)
        }
        pthread_mutex_lock(mutex)
        while !permit {
            if timeoutNanoseconds == nil {
                pthread_cond_wait(condition, mutex)
            } else if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT {
                break
            }
        }
        permit = false
        pthread_mutex_unlock(mutex)
    }
}
