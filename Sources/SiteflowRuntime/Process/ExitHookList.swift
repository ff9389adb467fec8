/// The closures to call when a process ends, in the order they were added. One hook — the
/// common case (e.g. the PubSub subscription of a connection's channel) — is stored inline; an
/// array is allocated only from the second on.
struct ExitHookList {
    /// One exit hook: called with the process's identity and exit reason.
    typealias Hook = @Sendable (ProcessID, ExitReason) -> Void

    private enum Storage {
        case empty
        case one(Hook)
        case many([Hook])
    }

    private var storage = Storage.empty

    /// Whether there are no hooks.
    var isEmpty: Bool {
        if case .empty = storage { return true }
        return false
    }

    /// The number of hooks.
    var count: Int {
        switch storage {
        case .empty: 0
        case .one: 1
        case .many(let hooks): hooks.count
        }
    }

    /// Adds `hook` after the others.
    mutating func append(_ hook: @escaping Hook) {
        switch storage {
        case .empty:
            storage = .one(hook)
        case .one(let first):
            storage = .many([first, hook])
        case .many(var hooks):
            storage = .empty  // keep `hooks` uniquely referenced while it grows
            hooks.append(hook)
            storage = .many(hooks)
        }
    }

    /// Removes and returns every hook.
    mutating func takeAll() -> ExitHookList {
        defer { storage = .empty }
        return self
    }

    /// Calls every hook, in order.
    func callAll(_ process: ProcessID, _ reason: ExitReason) {
        switch storage {
        case .empty:
            return
        case .one(let hook):
            hook(process, reason)
        case .many(let hooks):
            for hook in hooks { hook(process, reason) }
        }
    }
}
