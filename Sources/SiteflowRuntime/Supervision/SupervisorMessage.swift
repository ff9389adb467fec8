/// The requests a ``Supervisor`` process handles (internal: callers use ``SupervisorRef``).
enum SupervisorMessage: Sendable {
    /// Start the initial children; the first message a supervisor handles.
    case initialize(ReplyBox<Void>)
    case whichChildren(ReplyBox<[ChildInfo]>)
    case countChildren(ReplyBox<ChildCounts>)
    case startChild(ChildSpec, ReplyBox<ProcessID>)
    case terminateChild(String, ReplyBox<Void>)
    case restartChild(String, ReplyBox<ProcessID>)
    case deleteChild(String, ReplyBox<Void>)
    /// Terminate the children in reverse start order, answer, and exit with the reason.
    case stop(ExitReason, ReplyBox<Void>)
    /// A restart whose start failed is tried again (sent by the supervisor to itself).
    case retryRestart(childID: String)
}
