/// When a supervisor starts a child again after the child's process ended.
///
/// ## Restart values
///
/// - ``permanent``: the child is always restarted, whatever its exit reason (even
///   ``ExitReason/normal``). Use it for processes that must always run: servers, registries,
///   nested supervisors. This is the default.
/// - ``transient``: the child is restarted only if it ends abnormally, that is with a reason
///   other than ``ExitReason/normal``, ``ExitReason/shutdown`` or ``ExitReason/shutdownWith(_:)``
///   (see ``ExitReason/isOrderly``). Use it for work that may finish, but must be retried if it
///   crashed. After an orderly exit the child's specification stays in the supervisor, not
///   running, until ``SupervisorRef/restartChild(id:)`` or ``SupervisorRef/deleteChild(id:)``.
/// - ``temporary``: the child is never restarted, and its specification is removed from the
///   supervisor as soon as it ends (or is terminated), whatever the reason. Temporary children
///   are also left out when a ``SupervisorStrategy/oneForAll`` or
///   ``SupervisorStrategy/restForOne`` restart terminates them.
///
/// A restart always counts towards the supervisor's ``RestartIntensity``; exits that do not lead
/// to a restart do not.
public struct RestartPolicy: Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case permanent
        case transient
        case temporary
    }

    private let code: Code

    /// Always restarted, whatever the exit reason. The default.
    public static var permanent: RestartPolicy { RestartPolicy(code: .permanent) }
    /// Restarted only after an abnormal exit (a reason other than normal, shutdown, shutdownWith).
    public static var transient: RestartPolicy { RestartPolicy(code: .transient) }
    /// Never restarted; removed from its supervisor when it ends.
    public static var temporary: RestartPolicy { RestartPolicy(code: .temporary) }

    /// Whether a child with this policy is started again after ending with `reason`.
    public func restarts(after reason: ExitReason) -> Bool {
        switch code {
        case .permanent: return true
        case .transient: return !reason.isOrderly
        case .temporary: return false
        }
    }

    /// Whether the child's specification is dropped once it is no longer running.
    var isTemporary: Bool { code == .temporary }

    /// `permanent`, `transient` or `temporary`.
    public var description: String {
        switch code {
        case .permanent: return "permanent"
        case .transient: return "transient"
        case .temporary: return "temporary"
        }
    }
}
