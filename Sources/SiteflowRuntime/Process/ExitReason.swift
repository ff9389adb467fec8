/// Why a process ended, with Erlang's meanings.
///
/// - ``normal``: the process finished its work. Linked processes are not affected and
///   `transient` children are not restarted.
/// - ``shutdown`` / ``shutdown(_:)``: an orderly stop asked for by a supervisor or the process
///   itself; not an error (no crash report, `transient` children stay down).
/// - ``kill``: the untrappable signal; the process it reaches exits with ``killed``.
/// - ``killed``: the reason of a process ended by ``kill``; propagates to links like any other
///   abnormal reason (a linked process is not killed untrappably, it gets `killed`).
/// - ``noproc``: the target did not exist (monitoring or linking a dead process).
/// - ``error(_:)``: a handler threw; the error is the reason.
/// - ``custom(_:)``: any other abnormal reason, described by a string.
public enum ExitReason: Sendable, CustomStringConvertible {
    case normal
    case shutdown
    case shutdownWith(String)
    case kill
    case killed
    case noproc
    case error(any Error)
    case custom(String)

    /// Whether the reason is `normal`, `shutdown` or `shutdownWith`: a `transient` child that ends
    /// with one of these is not restarted and no crash report is written.
    public var isOrderly: Bool {
        switch self {
        case .normal, .shutdown, .shutdownWith: return true
        default: return false
        }
    }

    /// Whether the reason is exactly `normal` (the only reason that linked processes ignore).
    public var isNormal: Bool {
        if case .normal = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .normal: return "normal"
        case .shutdown: return "shutdown"
        case .shutdownWith(let detail): return "shutdown(\(detail))"
        case .kill: return "kill"
        case .killed: return "killed"
        case .noproc: return "noproc"
        case .error(let error): return "error(\(String(reflecting: type(of: error))): \(error))"
        case .custom(let detail): return detail
        }
    }
}

extension ExitReason: Equatable {
    /// Reasons are equal when they have the same case; errors compare by type and description.
    public static func == (lhs: ExitReason, rhs: ExitReason) -> Bool {
        switch (lhs, rhs) {
        case (.normal, .normal), (.shutdown, .shutdown), (.kill, .kill), (.killed, .killed),
            (.noproc, .noproc):
            return true
        case (.shutdownWith(let a), .shutdownWith(let b)), (.custom(let a), .custom(let b)):
            return a == b
        case (.error(let a), .error(let b)):
            return type(of: a) == type(of: b) && String(describing: a) == String(describing: b)
        default:
            return false
        }
    }
}
