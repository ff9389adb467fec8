/// The requests a ``DynamicSupervisor`` process handles (internal: callers use
/// ``DynamicSupervisorRef``).
enum DynamicSupervisorMessage: Sendable {
    case startChild(ChildSpec, ReplyBox<ProcessID>)
    case terminateChild(ProcessID, ReplyBox<Void>)
    case whichChildren(ReplyBox<[ChildInfo]>)
    case countChildren(ReplyBox<ChildCounts>)
    /// Terminate all children, answer, and exit with the reason.
    case stop(ExitReason, ReplyBox<Void>)
    /// A restart whose start failed is tried again (sent by the supervisor to itself).
    case retryRestart(ChildSpec)
}
