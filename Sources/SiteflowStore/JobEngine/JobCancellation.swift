import SiteflowRuntime
import Synchronization

/// Lets the engine stop one running job attempt: the attempt's work runs in a task of its own,
/// which ``cancel()`` cancels (a job that awaits — a sleep, a store call — then ends with
/// ``JobCancellation/Stopped``). A job that never suspends runs to its end.
final class JobCancellation: Sendable {
    /// What a stopped attempt ends with: recorded as its failure, then retried with backoff.
    struct Stopped: Error, CustomStringConvertible {
        var description: String { "stopped at the node's drain deadline" }
    }

    private let state = Mutex<(task: Task<Void, any Error>?, cancelled: Bool)>((nil, false))

    /// Runs `work` in a task of its own on `runtime`'s workers and waits for it; throws
    /// ``Stopped`` if ``cancel()`` was called meanwhile.
    func run(on runtime: Runtime, _ work: @escaping @Sendable () async throws -> Void) async throws {
        let task = Task(executorPreference: runtime.scheduler) { try await work() }
        let cancelled = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
        do {
            try await task.value
        } catch {
            if state.withLock({ $0.cancelled }) { throw Stopped() }
            throw error
        }
    }

    /// Cancels the attempt's work (now, or as soon as it starts).
    func cancel() {
        let task = state.withLock { state -> Task<Void, any Error>? in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}
