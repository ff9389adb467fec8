/// What the supervisor's loop reacts to; delivered through one stream, in arrival order.
enum SupervisorEvent: Sendable {
    /// Node `generation` wrote "ready <port>" on its notice pipe.
    case ready(generation: Int, port: Int)
    /// Node `generation` wrote "crashed <signal> <process serial>" from its fatal-signal handler.
    case crashed(generation: Int, signal: Int32, processSerial: UInt64)
    /// Node `generation`'s OS process ended.
    case exited(generation: Int, status: NodeExitStatus)
    /// A crashed node's grace period ran out.
    case killTimer(generation: Int)
    /// The operator asked to stop (SIGTERM, SIGINT).
    case stop
    /// The operator asked to reload (SIGHUP).
    case reload
}
