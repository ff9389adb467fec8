/// Which children a ``Supervisor`` restarts when one of them ends and its ``RestartPolicy`` asks
/// for a restart.
///
/// ## Strategy values
///
/// - ``oneForOne``: only the child that ended is started again. Use it when children are
///   independent.
/// - ``oneForAll``: every other child is terminated, in reverse start order, each according to
///   its ``ShutdownPolicy``; then all children are started again, in start order. Use it when
///   every child depends on every other.
/// - ``restForOne``: the children started after the one that ended are terminated, in reverse
///   start order; then the ended child and those children are started again, in start order.
///   Use it when later children depend on earlier ones.
///
/// With ``oneForAll`` and ``restForOne``, temporary children that get terminated by the restart
/// are removed, not restarted, and non-temporary children of the restarted group that were not
/// running (stopped with ``SupervisorRef/terminateChild(id:)``, or transient children that ended
/// in order) are started too, as in OTP.
///
/// If a child fails to start during a restart, the supervisor tries the restart again (as a new
/// message to itself, so requests are still answered in between); each try counts towards the
/// ``RestartIntensity``, so a child that cannot start makes the supervisor give up.
public struct SupervisorStrategy: Sendable, Hashable, CustomStringConvertible {
    enum Code: Hashable {
        case oneForOne
        case oneForAll
        case restForOne
    }

    let code: Code

    /// Restart only the child that ended.
    public static var oneForOne: SupervisorStrategy { SupervisorStrategy(code: .oneForOne) }
    /// Terminate all other children, then restart them all.
    public static var oneForAll: SupervisorStrategy { SupervisorStrategy(code: .oneForAll) }
    /// Terminate the children started after the one that ended, then restart it and them.
    public static var restForOne: SupervisorStrategy { SupervisorStrategy(code: .restForOne) }

    /// `oneForOne`, `oneForAll` or `restForOne`.
    public var description: String {
        switch code {
        case .oneForOne: return "oneForOne"
        case .oneForAll: return "oneForAll"
        case .restForOne: return "restForOne"
        }
    }
}
