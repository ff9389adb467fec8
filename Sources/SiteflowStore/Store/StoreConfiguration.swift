public import Logging
public import SiteflowRuntime

/// How a store is opened. Every parameter has a default.
public struct StoreConfiguration: Sendable {
    /// The time source (default: the system clock).
    public var clock: any RuntimeClock
    /// What messages are accepted (default: ``MessageLimits/init(maxBodyBytes:maxNicknameBytes:maxRoomBytes:maxIdempotencyKeyBytes:)``).
    public var limits: MessageLimits
    /// PostgreSQL: most pooled connections (default 10).
    public var maxConnections: Int
    /// PostgreSQL: how long an operation may wait for the database before failing with
    /// `unavailable` (default 5 s).
    public var operationTimeout: Duration
    /// SQLite: how long a writer waits for a lock held by another process (default 5 s).
    public var busyTimeout: Duration
    /// Where the store logs (never message bodies or job arguments).
    public var logger: Logger

    /// Creates a configuration; see each property.
    public init(
        clock: any RuntimeClock = SystemClock(), limits: MessageLimits = MessageLimits(), maxConnections: Int = 10,
        operationTimeout: Duration = .seconds(5), busyTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "siteflow.store")
    ) {
        self.clock = clock
        self.limits = limits
        self.maxConnections = maxConnections
        self.operationTimeout = operationTimeout
        self.busyTimeout = busyTimeout
        self.logger = logger
    }
}
