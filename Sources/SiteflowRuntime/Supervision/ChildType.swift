/// Whether a child is a worker or a supervisor: shown by introspection and counted separately
/// by ``SupervisorRef/countChildren()``; it also picks the default ``ShutdownPolicy``.
///
/// ## Type values
///
/// - ``worker``: any process that is not a supervisor. Default shutdown: ``ShutdownPolicy/default``
///   (5 s, then kill).
/// - ``supervisor``: a nested supervisor. Default shutdown: ``ShutdownPolicy/infinity``, so it
///   has all the time it needs to shut down its own children in order.
public struct ChildType: Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case worker
        case supervisor
    }

    private let code: Code

    /// A process that is not a supervisor.
    public static var worker: ChildType { ChildType(code: .worker) }
    /// A nested supervisor.
    public static var supervisor: ChildType { ChildType(code: .supervisor) }

    /// The shutdown policy a child of this type gets when none is given.
    public var defaultShutdown: ShutdownPolicy {
        code == .supervisor ? .infinity : .default
    }

    /// `worker` or `supervisor`.
    public var description: String { code == .supervisor ? "supervisor" : "worker" }
}
