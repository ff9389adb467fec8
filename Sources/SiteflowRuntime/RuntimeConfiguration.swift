public import Logging

/// Settings of one ``Runtime``. Every parameter has a default and can be changed alone.
public struct RuntimeConfiguration: Sendable {
    /// The ordinary workers (one per core by default).
    public var scheduler: SchedulerConfiguration
    /// The pool for processes spawned with ``SpawnOptions/blocking``.
    public var blockingScheduler: SchedulerConfiguration
    /// Most processes alive at once; spawning past it throws ``SpawnError/processLimitReached(_:)``.
    public var maxProcesses: Int
    /// Where crash reports, restart decisions and long-run warnings go.
    public var logger: Logger
    /// The time source of the runtime's timers and, unless they are given their own, its
    /// supervisors (default: ``SystemClock``).
    public var clock: any RuntimeClock
    /// How isolated processes (``SpawnOptions/isolation``) get their worker OS processes, and
    /// which servers may be isolated (none by default).
    public var isolation: IsolationConfiguration

    /// Creates a configuration; see each property.
    public init(
        scheduler: SchedulerConfiguration = SchedulerConfiguration(),
        blockingScheduler: SchedulerConfiguration = .blockingPool,
        maxProcesses: Int = 20_000_000,
        logger: Logger = Logger(label: "siteflow.runtime"),
        clock: any RuntimeClock = SystemClock(),
        isolation: IsolationConfiguration = IsolationConfiguration()
    ) {
        self.scheduler = scheduler
        self.blockingScheduler = blockingScheduler
        self.maxProcesses = Swift.max(1, maxProcesses)
        self.logger = logger
        self.clock = clock
        self.isolation = isolation
    }
}
