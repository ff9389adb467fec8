/// A handle to a running ``DynamicSupervisor``.
///
/// Requests are calls to the supervisor's ``AsyncGenServer``, handled one at a time; they have
/// no timeout. If the supervisor has ended, or ends before answering, a request throws
/// ``SupervisorError`` with code `supervisorNotRunning` (the ``CallError`` as its underlying
/// error) instead of waiting for ever.
public struct DynamicSupervisorRef: Sendable, Hashable {
    let server: ServerRef<DynamicSupervisorServer>

    init(server: ServerRef<DynamicSupervisorServer>) {
        self.server = server
    }

    /// Recovers a handle from a process identity (e.g. a nested dynamic supervisor found with
    /// ``SupervisorRef/whichChildren()``); nil if that process is not a ``DynamicSupervisor``.
    public init?(_ process: ProcessID) {
        guard let mailbox = process.core as? Mailbox<ServerMessage<DynamicSupervisorServer>> else { return nil }
        self.server = ServerRef(pid: PID(mailbox))
    }

    /// The supervisor's process.
    public var id: ProcessID { server.id }

    /// Starts a child from `spec` and supervises it; returns its process. The spec's id need not
    /// be unique.
    /// - Throws: `maxChildren` at the limit; `childStartFailed` if the start function throws.
    @discardableResult
    public func startChild(_ spec: ChildSpec) async throws(SupervisorError) -> ProcessID {
        try await SupervisorCall.request(server, .startChild(spec), \.process)
    }

    /// Terminates the child running as `process` per its shutdown policy and forgets it (no
    /// restart, whatever its restart policy).
    /// - Throws: `childNotFound` if `process` is not a running child of this supervisor.
    public func terminateChild(_ process: ProcessID) async throws(SupervisorError) {
        try await SupervisorCall.request(server, .terminateChild(process), \.isDone)
    }

    /// The running children, in no particular order.
    public func whichChildren() async throws(SupervisorError) -> [ChildInfo] {
        try await SupervisorCall.request(server, .whichChildren, \.children)
    }

    /// Children held (running or waiting for a restart retry), running, supervisors and workers.
    public func countChildren() async throws(SupervisorError) -> ChildCounts {
        try await SupervisorCall.request(server, .countChildren, \.counts)
    }

    /// Stops the supervisor: all children are terminated concurrently per their shutdown
    /// policies, then it exits with `reason`. Returns once it has ended, with its actual exit
    /// reason (which differs from `reason` if it had already ended).
    @discardableResult
    public func stop(reason: ExitReason = .normal) async -> ExitReason {
        _ = try? await server.call(.stop(reason), timeout: nil)
        return await server.id.core.runtime.waitForExit(server.id)
    }
}
