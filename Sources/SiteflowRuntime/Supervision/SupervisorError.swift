/// Why a supervisor request (or a supervisor's start) failed.
///
/// Compare ``code`` with the static members of ``Code``; ``childID`` and ``underlying`` give the
/// details when they apply.
public struct SupervisorError: Error, CustomStringConvertible {
    /// What went wrong; new codes may be added, so do not switch exhaustively.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Hashable {
            case childStartFailed
            case duplicateChildID
            case childNotFound
            case childAlreadyPresent
            case childRunning
            case maxChildren
            case supervisorNotRunning
            case spawnFailed
        }

        private let base: Base

        /// A child's start function threw (``SupervisorError/underlying`` holds its error); at
        /// supervisor start, the children started before it have been stopped again.
        public static var childStartFailed: Code { Code(base: .childStartFailed) }
        /// Two initial children share an id.
        public static var duplicateChildID: Code { Code(base: .duplicateChildID) }
        /// No child has this id (or, for a dynamic supervisor, this process is not its child).
        public static var childNotFound: Code { Code(base: .childNotFound) }
        /// A child with this id already exists (running or not): delete it first.
        public static var childAlreadyPresent: Code { Code(base: .childAlreadyPresent) }
        /// The child is running, so it cannot be restarted or deleted: terminate it first.
        public static var childRunning: Code { Code(base: .childRunning) }
        /// The dynamic supervisor already has its ``DynamicSupervisor`` `maxChildren` children.
        public static var maxChildren: Code { Code(base: .maxChildren) }
        /// The supervisor has ended (or ended before it answered), or its mailbox refused the
        /// request.
        public static var supervisorNotRunning: Code { Code(base: .supervisorNotRunning) }
        /// The supervisor's own process could not be spawned (``SupervisorError/underlying`` is
        /// the ``SpawnError``).
        public static var spawnFailed: Code { Code(base: .spawnFailed) }

        /// A short name of the code.
        public var description: String { "\(base)" }
    }

    /// What went wrong.
    public let code: Code
    /// The child concerned, when there is one.
    public let childID: String?
    /// The error behind this one (a start function's error, a ``SpawnError``), when there is one.
    public let underlying: (any Error)?

    init(_ code: Code, child: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.childID = child
        self.underlying = underlying
    }

    /// A one-line explanation naming the child and the underlying error.
    public var description: String {
        var text = "supervisor error \(code)"
        if let childID { text += " (child \"\(childID)\")" }
        if let underlying { text += ": \(underlying)" }
        return text
    }
}
