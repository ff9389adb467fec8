/// Why an isolated process (``SpawnOptions/isolation`` `.osProcess`) ended abnormally, or why
/// one of its calls failed: the exit reason its links and monitors receive
/// (``ExitReason/error(_:)``), with what the worker OS process left behind.
public struct IsolatedProcessError: Error, Sendable, CustomStringConvertible {
    /// What happened, in a form that can gain cases without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// The worker died by a signal: a trap (`fatalError`, a force unwrap of nil, an overflow:
        /// SIGILL or SIGTRAP), SIGSEGV, or a SIGKILL from outside. See ``signal`` and ``backtrace``.
        public static let signaled = Code(name: "signaled")
        /// The worker exited with a non-zero code without reporting its server's end.
        public static let exitedNonZero = Code(name: "exited non-zero")
        /// The worker exited with code 0 without reporting its server's end.
        public static let exitedUnexpectedly = Code(name: "exited unexpectedly")
        /// The server in the worker crashed (a handler threw) or stopped abnormally; see ``detail``.
        public static let serverCrashed = Code(name: "server crashed")
        /// The worker broke the protocol: an oversized, malformed or undecodable frame. The node
        /// kills such a worker.
        public static let protocolViolation = Code(name: "protocol violation")
        /// A message could not be encoded, or is larger than ``IsolationConfiguration/maxFrameBytes``.
        public static let messageNotSendable = Code(name: "message not sendable")
        public var description: String { name }
    }

    /// What happened.
    public let code: Code
    /// The worker's OS process id.
    public let workerPID: Int32
    /// The signal that ended the worker, for ``Code/signaled``.
    public let signal: Int32?
    /// The worker's exit code, for ``Code/exitedNonZero``.
    public let exitCode: Int32?
    /// The fatal-error message and the crashing thread's backtrace the worker printed (Swift's
    /// backtracer, addresses only: ``BacktraceSettings/quick``), for a worker that trapped; its
    /// last output lines otherwise. At most 200 lines.
    public let backtrace: [String]
    /// More about it (the server's exit reason, the protocol error, …).
    public let detail: String

    init(code: Code, workerPID: Int32, signal: Int32? = nil, exitCode: Int32? = nil, backtrace: [String] = [], detail: String = "") {
        self.code = code
        self.workerPID = workerPID
        self.signal = signal
        self.exitCode = exitCode
        self.backtrace = backtrace
        self.detail = detail
    }

    public var description: String {
        var text = "isolated worker \(workerPID) \(code)"
        if let signal { text += " \(signal) (\(Self.signalName(signal)))" }
        if let exitCode { text += " with code \(exitCode)" }
        if !detail.isEmpty { text += ": \(detail)" }
        if let first = backtrace.first(where: { $0.contains("Fatal error") || $0.hasPrefix("***") }) {
            text += " — \(first)"
        }
        return text
    }

    /// A signal's usual name ("SIGILL"), or its number.
    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case 1: return "SIGHUP"
        case 2: return "SIGINT"
        case 4: return "SIGILL"
        case 5: return "SIGTRAP"
        case 6: return "SIGABRT"
        case 7: return "SIGBUS"
        case 8: return "SIGFPE"
        case 9: return "SIGKILL"
        case 11: return "SIGSEGV"
        case 13: return "SIGPIPE"
        case 15: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}
