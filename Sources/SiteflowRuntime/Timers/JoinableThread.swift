#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSiteflowRuntime
import Synchronization

/// A dedicated OS thread (pthread) running one closure, that can be joined exactly once.
///
/// `join()` waits for the closure to return; called from the thread itself it detaches instead of deadlocking.
final class JoinableThread: Sendable {
    /// Holds the body across `pthread_create`; retained by the new thread until it starts.
    private final class Start {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let thread: pthread_t
    /// Whether a join or detach has been claimed; held across `pthread_join` so later joiners wait too.
    private let joined = Mutex<Bool>(false)

    /// Starts a thread named `name` (at most 15 bytes are kept) running `body`; traps if the OS refuses.
    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let start = Start(body)
        let context = Unmanaged.passRetained(start).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            guard let raw else { return nil }
            let start = Unmanaged<Start>.fromOpaque(raw).takeRetainedValue()
            start.body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Start>.fromOpaque(context).release()
            fatalError("JoinableThread: pthread_create failed with error \(result)")
        }
        thread = handle
        _ = String(decoding: name.utf8.prefix(15), as: UTF8.self).withCString { sf_name_thread(UInt64(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(handle))))), $0) }
    }

    /// Whether the calling code runs on this thread.
    var isCurrent: Bool {
        pthread_equal(pthread_self(), thread) != 0
    }

    /// Waits for the thread's body to return (or detaches when called on the thread itself); idempotent.
    func join() {
        if isCurrent {
            // Never block here: another thread may hold the lock while it joins us.
            joined.withLockIfAvailable { done in
                guard !done else { return }
                done = true
                pthread_detach(thread)
            }
            return
        }
        joined.withLock { done in
            guard !done else { return }
            done = true
            pthread_join(thread, nil)
        }
    }
}
