/// The logging metadata keys of every Siteflow module, in one place so that logs stay consistent
/// and searchable. Values are never message payloads.
public enum LogKey {
    /// A process, printed as `<0.N.0>`.
    public static let process = "process"
    /// A process's registered name.
    public static let name = "name"
    /// A process's behaviour (its ``Behavior/kind``).
    public static let behavior = "behavior"
    /// Why a process, a tick or a node part ended or failed.
    public static let reason = "reason"
    /// The supervisor that made a decision.
    public static let supervisor = "supervisor"
    /// The id of a supervisor's child.
    public static let child = "child"
    /// A supervision decision (`restart`, `ignore`, `escalate`).
    public static let decision = "decision"
    /// A scheduler worker, as `pool-index`.
    public static let worker = "worker"
    /// How long something took or has been running, in milliseconds.
    public static let duration = "duration_ms"
    /// An error's description.
    public static let error = "error"
    /// A durable job's id.
    public static let job = "job"
    /// A durable job's attempt number.
    public static let attempt = "attempt"
    /// The host a server listens on.
    public static let host = "host"
    /// The port a server listens on.
    public static let port = "port"
    /// A node's name.
    public static let node = "node"
    /// A node's address.
    public static let url = "url"
    /// The database a node's store uses.
    public static let database = "database"
    /// Where a secret (such as the node's secret key) was loaded from; never the secret itself.
    public static let origin = "from"
    /// An OS process id.
    public static let pid = "pid"
    /// A signal's name, e.g. `SIGSEGV`.
    public static let signal = "signal"
    /// How an OS process ended, e.g. "exited with code 0".
    public static let status = "status"
    /// Milliseconds since a node crashed (when its replacement is ready).
    public static let sinceCrash = "since_crash_ms"
}
