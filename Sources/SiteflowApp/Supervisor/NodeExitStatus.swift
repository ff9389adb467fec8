/// How a node OS process ended, as `waitpid` reports it.
public enum NodeExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// It exited with this code.
    case exited(Int32)
    /// A signal ended it (e.g. 4 = SIGILL for a Swift trap, 9 = SIGKILL).
    case signaled(Int32)

    /// Whether it ended cleanly (exit code 0): a node that stops by itself this way is not restarted.
    public var isClean: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with code \(code)"
        case .signaled(let signal): return "killed by signal \(signal) (\(NodeExitStatus.signalName(signal)))"
        }
    }

    /// The conventional name of a signal number (Linux), e.g. "SIGSEGV".
    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
            8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
            14: "SIGALRM", 15: "SIGTERM",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
