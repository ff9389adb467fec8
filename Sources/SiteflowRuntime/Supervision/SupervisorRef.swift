/// A handle to a running ``Supervisor``: its process identity and the requests it answers
/// (OTP's `which_children`, `count_children`, `start_child`, `terminate_child`,
/// `restart_child`, `delete_child`, `stop`).
///
/// Requests travel as messages and are handled one at a time, after any restart in progress.
/// If the supervisor has ended, or ends before answering, a request throws
/// ``SupervisorError`` with code `supervisorNotRunning` instead of waiting for ever.
public struct SupervisorRef: Sendable, Hashable {
    let pid: PID<SupervisorMessage>

    init(pid: PID<SupervisorMessage>) {
        self.pid = pid
    }

    /// Recovers a handle from a process identity (e.g. a nested supervisor found with
    /// ``whichChildren()``); nil if that process is not a ``Supervisor``.
    public init?(_ process: ProcessID) {
        guard let mailbox = process.core as? Mailbox<SupervisorMessage> else { return nil }
        self.pid = PID(mailbox)
    }

    /// The supervisor's process.
    public var id: ProcessID { pid.id }

    /// Every child specification in start order, with its process if running.
    public func whichChildren() async throws(SupervisorError) -> [ChildInfo] {
        try await request { .whichChildren($0) }
    }

    /// How many specifications, running children, supervisors and workers there are.
    public func countChildren() async throws(SupervisorError) -> ChildCounts {
        try await request { .countChildren($0) }
    }

    /// Adds a child at the end of the start order and starts it; returns its process.
    /// - Throws: `childAlreadyPresent` if the id is taken; `childStartFailed` if it cannot start
    ///   (the specification is then not kept).
    @discardableResult
    public func startChild(_ spec: ChildSpec) async throws(SupervisorError) -> ProcessID {
        try await request { .startChild(spec, $0) }
    }

    /// Terminates a child per its shutdown policy and keeps its specification (not running),
    /// except for temporary children, whose specification is removed. Succeeds if the child was
    /// not running. The exit is not a restart.
    /// - Throws: `childNotFound`.
    public func terminateChild(id: String) async throws(SupervisorError) {
        try await request { .terminateChild(id, $0) }
    }

    /// Starts a child that is not running (terminated, or transient and ended in order); this
    /// does not count towards the restart intensity. Returns its new process.
    /// - Throws: `childNotFound`, `childRunning`, `childStartFailed`.
    @discardableResult
    public func restartChild(id: String) async throws(SupervisorError) -> ProcessID {
        try await request { .restartChild(id, $0) }
    }

    /// Removes the specification of a child that is not running.
    /// - Throws: `childNotFound`, `childRunning`.
    public func deleteChild(id: String) async throws(SupervisorError) {
        try await request { .deleteChild(id, $0) }
    }

    /// Stops the supervisor in order: its children are terminated in reverse start order, each
    /// per its shutdown policy, then it exits with `reason`. Returns once it has ended, with its
    /// actual exit reason (which differs from `reason` if it had already ended).
    @discardableResult
    public func stop(reason: ExitReason = .normal) async -> ExitReason {
        _ = await ReplyBox<Void>.request { pid.deliver(.stop(reason, $0)) }
        return await pid.id.core.runtime.waitForExit(pid.id)
    }

    private func request<Value: Sendable>(
        _ make: (ReplyBox<Value>) -> SupervisorMessage
    ) async throws(SupervisorError) -> Value {
        try await ReplyBox<Value>.request { pid.deliver(make($0)) }.get()
    }
}
