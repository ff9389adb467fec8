/// A handle to a running ``Supervisor``: its process identity and the requests it answers
/// (OTP's `which_children`, `count_children`, `start_child`, `terminate_child`,
/// `restart_child`, `delete_child`, `stop`).
///
/// Requests are calls to the supervisor's ``AsyncGenServer``, handled one at a time, after any
/// restart in progress; they have no timeout. If the supervisor has ended, or ends before
/// answering, a request throws ``SupervisorError`` with code `supervisorNotRunning` (the
/// ``CallError`` as its underlying error) instead of waiting for ever.
public struct SupervisorRef: Sendable, Hashable {
    let server: ServerRef<SupervisorServer>

    init(server: ServerRef<SupervisorServer>) {
        self.server = server
    }

    /// Recovers a handle from a process identity (e.g. a nested supervisor found with
    /// ``whichChildren()``); nil if that process is not a ``Supervisor``.
    public init?(_ process: ProcessID) {
        guard let mailbox = process.core as? Mailbox<ServerMessage<SupervisorServer>> else { return nil }
        self.server = ServerRef(pid: PID(mailbox))
    }

    /// The supervisor's process.
    public var id: ProcessID { server.id }

    /// Every child specification in start order, with its process if running.
    public func whichChildren() async throws(SupervisorError) -> [ChildInfo] {
        try await SupervisorCall.request(server, .whichChildren, \.children)
    }

    /// How many specifications, running children, supervisors and workers there are.
    public func countChildren() async throws(SupervisorError) -> ChildCounts {
        try await SupervisorCall.request(server, .countChildren, \.counts)
    }

    /// Adds a child at the end of the start order and starts it; returns its process.
    /// - Throws: `childAlreadyPresent` if the id is taken; `childStartFailed` if it cannot start
    ///   (the specification is then not kept).
    @discardableResult
    public func startChild(_ spec: ChildSpec) async throws(SupervisorError) -> ProcessID {
        try await SupervisorCall.request(server, .startChild(spec), \.process)
    }

    /// Terminates a child per its shutdown policy and keeps its specification (not running),
    /// except for temporary children, whose specification is removed. Succeeds if the child was
    /// not running. The exit is not a restart.
    /// - Throws: `childNotFound`.
    public func terminateChild(id: String) async throws(SupervisorError) {
        try await SupervisorCall.request(server, .terminateChild(id), \.isDone)
    }

    /// Starts a child that is not running (terminated, or transient and ended in order); this
    /// does not count towards the restart intensity. Returns its new process.
    /// - Throws: `childNotFound`, `childRunning`, `childStartFailed`.
    @discardableResult
    public func restartChild(id: String) async throws(SupervisorError) -> ProcessID {
        try await SupervisorCall.request(server, .restartChild(id), \.process)
    }

    /// Removes the specification of a child that is not running.
    /// - Throws: `childNotFound`, `childRunning`.
    public func deleteChild(id: String) async throws(SupervisorError) {
        try await SupervisorCall.request(server, .deleteChild(id), \.isDone)
    }

    /// Stops the supervisor in order: its children are terminated in reverse start order, each
    /// per its shutdown policy, then it exits with `reason`. Returns once it has ended, with its
    /// actual exit reason (which differs from `reason` if it had already ended).
    @discardableResult
    public func stop(reason: ExitReason = .normal) async -> ExitReason {
        _ = try? await server.call(.stop(reason), timeout: nil)
        return await server.id.core.runtime.waitForExit(server.id)
    }
}
