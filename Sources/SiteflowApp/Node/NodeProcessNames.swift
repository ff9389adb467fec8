/// The registered names of a node's long-lived processes. Whoever needs one of them finds the
/// process running now by its name (``SiteflowRuntime/Runtime/whereis(_:as:)``), so a process
/// restarted by its supervisor is found again under the same name, never as a dead pid.
public enum NodeProcessNames {
    /// The node's root supervisor (one_for_one over everything below).
    public static let root = "siteflow.root"
    /// The chat's group-commit writer (kind `message_writer`).
    public static let messageWriter = "siteflow.message_writer"
    /// The process that writes nickname claims to the store (kind `nickname_claim_writer`).
    public static let nicknameClaimWriter = "siteflow.nickname_claim_writer"
    /// The prefix of the job engine's processes.
    public static let jobs = "siteflow.jobs"
    /// The job engine's supervisor (one process per running job attempt beneath it).
    public static let jobSupervisor = "siteflow.jobs.supervisor"
    /// The job engine's ticker (kind `job_ticker`).
    public static let jobTicker = "siteflow.jobs.ticker"
    /// The process that watches presence owners (a server).
    public static let presence = "siteflow.presence"
    /// The supervisor every socket process (with its channels) is placed under.
    public static let sockets = "siteflow.sockets"
    /// The process that gives the C heap's free memory back after a burst (``HeapTrimmer``).
    public static let heapTrimmer = "siteflow.heap_trimmer"
    /// The fault-injection process (only with `--fault-injection`).
    public static let faults = "siteflow.faults"
    /// The isolated fault target, a server in a worker OS process (only with `--fault-injection`).
    public static let isolatedFaults = "siteflow.isolated_faults"
}
