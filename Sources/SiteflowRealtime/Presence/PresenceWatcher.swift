import SiteflowRuntime

/// The process that watches a ``Presence``'s owners (a ``GenServer``): it monitors every process
/// that tracks a presence and removes that process's presences when it ends, as Phoenix's
/// tracker does.
///
/// The presences live in ``Presence``, not in this process: when it is restarted, the new one
/// monitors every owner present at that moment (an owner that ended meanwhile is reported at
/// once), so no leave is lost across a restart.
struct PresenceWatcher: GenServer {
    typealias Call = Never
    typealias Reply = Void
    typealias Cast = Never

    enum Info: Sendable {
        /// Monitor this new owner.
        case watch(ProcessID)
    }

    let presence: Presence

    /// Becomes the presence's watcher, then monitors the owners it already has.
    mutating func initialize(context: ServerContext<PresenceWatcher>) throws {
        presence.adopt(ServerRef(pid: context.pid))
        for owner in presence.owners() { _ = context.monitor(owner) }
    }

    func handleCall(_ request: Never, from caller: Caller<Void>, context: ServerContext<PresenceWatcher>) throws -> CallResult<Void> {}

    mutating func handleInfo(_ message: Info, context: ServerContext<PresenceWatcher>) throws {
        switch message {
        case .watch(let owner): _ = context.monitor(owner)
        }
    }

    mutating func handleSignal(_ signal: Signal, context: ServerContext<PresenceWatcher>) throws {
        if case .down(_, let owner, _) = signal { presence.ownerExited(owner) }
    }
}
