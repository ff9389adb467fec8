/// A handle to a running ``DynamicSupervisor``.
///
/// Requests travel as messages and are handled one at a time. If the supervisor has ended, or
/// ends before answering, a request throws ``SupervisorError`` with code `supervisorNotRunning`
/// instead of waiting for ever.
public struct DynamicSupervisorRef: Sendable, Hashable {
    let pid: PID<DynamicSupervisorMessage>

    init(pid: PID<DynamicSupervisorMessage>) {
        self.pid = pid
    }

    /// Recovers a handle from a process identity (e.g. a nested dynamic supervisor found with
    /// ``SupervisorRef/whichChildren()``); nil if that process is not a ``DynamicSupervisor``.
    public init?(_ process: ProcessID) {
        guard let mailbox = process.core as? Mailbox<DynamicSupervisorMessage> else { return nil }
        self.pid = PID(mailbox)
    }

    /// The supervisor's process.
    public var id: ProcessID { pid.id }

    /// Starts a child from `spec` and supervises it; returns its process. The spec's id need not
    /// be unique.
    /// - Throws: `maxChildren` at the limit; `childStartFailed` if the start function throws.
    @discardableResult
    public func startChild(_ spec: ChildSpec) async throws(SupervisorError) -> ProcessID {
        try await request { .startChild(spec, $0) }
    }

    /// Terminates the child running as `process` per its shutdown policy and forgets it (no
    /// restart, whatever its restart policy).
    /// - Throws: `childNotFound` if `process` is not a running child of this supervisor.
    public func terminateChild(_ process: ProcessID) async throws(SupervisorError) {
        try await request { .terminateChild(process, $0) }
    }

    /// The running children, in no particular order.
    public func whichChildren() async throws(SupervisorError) -> [ChildInfo] {
        try await request { .whichChildren($0) }
    }

    /// Children held (running or waiting for a restart retry), running, supervisors and workers.
    public func countChildren() async throws(SupervisorError) -> ChildCounts {
        try await request { .countChildren($0) }
    }

    /// Stops the supervisor: all children are terminated concurrently per their shutdown
    /// policies, then it exits with `reason`. Returns once it has ended, with its actual exit
    /// reason (which differs from `reason` if it had already ended).
    @discardableResult
    public func stop(reason: ExitReason = .normal) async -> ExitReason {
        _ = await ReplyBox<Void>.request { pid.deliver(.stop(reason, $0)) }
        return await pid.id.core.runtime.waitForExit(pid.id)
    }

    private func request<Value: Sendable>(
        _ make: (ReplyBox<Value>) -> DynamicSupervisorMessage
    ) async throws(SupervisorError) -> Value {
        try await ReplyBox<Value>.request { pid.deliver(make($0)) }.get()
    }
}
