import Synchronization

/// The parts of a process that most idle processes never need, allocated on first use: links,
/// monitors, name, parent, exit hooks and a stop request.
@usableFromInline
final class ProcessExtras: @unchecked Sendable {
    // Safe: `state` is a Mutex; `stopReason` is touched only by the thread running the process.

    struct State {
        var exited = false
        var exitReason: ExitReason?
        /// Linked processes, by identity.
        var links = LinkSet()
        /// Processes monitoring this one.
        var watchers: [MonitorReference: ProcessCore] = [:]
        /// Processes this one monitors.
        var monitoring: [MonitorReference: ProcessCore] = [:]
        /// Called once, on the exiting process's thread, after links and monitors fired.
        var exitHooks = ExitHookList()
        /// Whether the exit hooks taken at the exit have all run; hooks added between the exit
        /// and then wait in `exitHooks` and run after them, so that a hook added late (e.g. a
        /// `waitForExit`) never overtakes one added before the exit (e.g. closing owned tables).
        var exitHooksDone = false
        /// The supervisor (or spawning process) that owns this one, for introspection and orderly shutdown.
        var parent: ProcessCore?
        /// Registered name, for introspection.
        var name: String?
        /// A label the behaviour chose (e.g. "supervisor", "gen_server").
        var kind: String?
    }

    struct Departure {
        var links: [ProcessCore]
        var watchers: [MonitorReference: ProcessCore]
        var monitoring: [MonitorReference: ProcessCore]
        var hooks: ExitHookList
    }

    let state = Mutex(State())
    /// Owner only.
    @usableFromInline var stopReason: ExitReason?

    /// Parent, read without the lock's cost on the exit-signal path.
    var parent: ProcessCore? { state.withLock { $0.parent } }
}
