/// A system message a process receives through ``Behavior/handleSignal(_:context:)-7dw9j``.
///
/// System messages travel on a lane of their own that is served before ordinary messages.
public enum Signal: Sendable {
    /// A linked process (or ``ProcessContext/exit(_:reason:)``) sent an exit signal, and this
    /// process traps exits, so the signal arrives as a message instead of ending it.
    case exit(from: ProcessID, reason: ExitReason)
    /// A monitored process ended (or did not exist: reason ``ExitReason/noproc``).
    case down(MonitorReference, process: ProcessID, reason: ExitReason)
}

/// Identifies one monitor; returned by `monitor` and carried by its ``Signal/down(_:process:reason:)``.
public struct MonitorReference: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline let value: UInt64
    public var description: String { "#Ref<\(value)>" }
}

/// A signal as it travels between processes (internal: includes link bookkeeping).
@usableFromInline
enum SystemSignal: Sendable {
    case exit(from: ProcessID, reason: ExitReason)
    case down(MonitorReference, process: ProcessID, reason: ExitReason)
    /// Run a closure on the process's own worker, between messages (used by the runtime to touch
    /// process-owned state such as the trap-exit flag from outside).
    case run(@Sendable (ProcessCore) -> Void)
}

/// One node of a process's signal stack (a lock-free LIFO, reversed on receipt).
final class SignalNode {
    let signal: SystemSignal
    var next: UInt = 0
    init(_ signal: SystemSignal) { self.signal = signal }
}
