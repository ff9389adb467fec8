/// Ends one child according to its ``ShutdownPolicy`` and waits for its exit: the supervisor
/// first unlinks the child (so the exit does not come back as a child exit to act on), then
/// sends `shutdown` (or `kill`), waits up to the policy's timeout, and kills it if it is still
/// alive. Returns the child's exit reason.
enum ChildTermination {
    static func terminate(
        _ child: ProcessID, policy: ShutdownPolicy, supervisor: ProcessID, runtime: Runtime
    ) async -> ExitReason {
        supervisor.core.unlink(from: child.core)
        let plan = policy.plan
        child.core.sendExit(from: supervisor, reason: plan.firstSignal)
        if let reason = await waitForExit(of: child, runtime: runtime, within: plan.killAfter) {
            return reason
        }
        child.core.sendExit(from: supervisor, reason: .kill)
        return await runtime.waitForExit(child)
    }

    /// The exit reason of `process`, or nil if it is still alive after `timeout` (nil: no limit).
    /// The timeout runs on the runtime's timers, so it follows ``Runtime/clock``.
    static func waitForExit(of process: ProcessID, runtime: Runtime, within timeout: Duration?) async -> ExitReason? {
        guard let timeout else { return await runtime.waitForExit(process) }
        let result = OneShot<ExitReason?>()
        runtime.onExit(of: process) { _, reason in result.resolve(reason) }
        let timer = runtime.timers.schedule(after: timeout) { result.resolve(nil) }
        let reason = await result.value()
        runtime.timers.cancel(timer)
        return reason
    }
}
