/// How a node runs jobs. Every parameter has a default except the queues worth running.
public struct JobEngineConfiguration: Sendable {
    /// This node's name, recorded on each attempt and used for leases (default: random).
    public var node: String
    /// The queues this node runs, with their per-node concurrency (default: `default` with 10).
    public var queues: [JobQueue]
    /// How long a claimed job's lease lasts without a heartbeat; after it expires another node
    /// (or this one after a restart) runs the job again (default 60 s).
    public var leaseDuration: Duration
    /// How often running jobs' leases are extended (default 15 s; keep it well below
    /// ``leaseDuration``).
    public var heartbeatInterval: Duration
    /// How often ``JobEngine/start()``'s loop polls for due jobs (default 1 s).
    public var pollInterval: Duration
    /// The wait before retrying a failed attempt.
    public var backoff: RetryBackoff
    /// Jobs enqueued on cron schedules.
    public var cron: [CronSchedule]
    /// Completed and discarded jobs older than this are deleted (default 7 days; nil keeps them).
    public var pruneAfter: Duration?
    /// How often pruning runs (default 1 h).
    public var pruneInterval: Duration
    /// The random source for backoff jitter, in `[0, 1)` (tests pass a constant).
    public var random: @Sendable () -> Double

    /// Creates a configuration; see each property.
    public init(
        node: String = "node-\(UInt32.random(in: .min ... .max))", queues: [JobQueue] = [JobQueue("default")],
        leaseDuration: Duration = .seconds(60), heartbeatInterval: Duration = .seconds(15),
        pollInterval: Duration = .seconds(1), backoff: RetryBackoff = RetryBackoff(), cron: [CronSchedule] = [],
        pruneAfter: Duration? = .seconds(7 * 24 * 3600), pruneInterval: Duration = .seconds(3600),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.node = node
        self.queues = queues
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval
        self.pollInterval = pollInterval
        self.backoff = backoff
        self.cron = cron
        self.pruneAfter = pruneAfter
        self.pruneInterval = pruneInterval
        self.random = random
    }
}
