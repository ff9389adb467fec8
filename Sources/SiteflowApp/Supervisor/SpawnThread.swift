import Foundation
import Synchronization

/// The one thread that starts every node of a supervisor. Linux sends a child its "parent died"
/// signal (`PR_SET_PDEATHSIG`, which makes a node drain when its supervisor dies) when the *thread*
/// that started it exits, not the process; threads of Swift's cooperative pool come and go, so
/// nodes are started from this thread, which lives until ``finish()``.
final class SpawnThread: Sendable {
    private struct State {
        var work: [@Sendable () -> Void] = []
        var finished = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    init() {
        Thread.detachNewThread { [self] in loop() }
    }

    /// Runs `body` on the spawn thread and returns its result.
    func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            state.withLock { $0.work.append { continuation.resume(returning: body()) } }
            wake.signal()
        }
    }

    /// Ends the thread once the work queued so far is done.
    func finish() {
        state.withLock { $0.finished = true }
        wake.signal()
    }

    private func loop() {
        while true {
            wake.wait()
            let (work, finished) = state.withLock { state in
                defer { state.work = [] }
                return (state.work, state.finished)
            }
            for item in work { item() }
            if finished { return }
        }
    }
}
