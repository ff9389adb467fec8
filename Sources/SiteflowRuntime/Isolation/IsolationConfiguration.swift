/// How the runtime starts worker OS processes for isolated processes (``SpawnOptions/isolation``).
/// Every parameter has a default and can be changed alone.
public struct IsolationConfiguration: Sendable {
    /// The servers that may be isolated, by name. Empty by default: nothing can be isolated until
    /// the application registers its servers.
    public var behaviors: IsolatedBehaviors
    /// The executable a worker runs; default: this process's own executable (`/proc/self/exe`).
    /// It must hand `arguments` + the server's name to ``IsolatedWorker/run(name:behaviors:)``.
    public var executable: String
    /// The arguments before the server's name (default `["isolated-worker"]`, the `siteflow`
    /// executable's hidden worker subcommand).
    public var arguments: [String]
    /// The largest frame (one encoded message) either side accepts; a larger one is refused with
    /// a typed error (a call fails, a frame from the worker ends it). Default 1 MiB.
    public var maxFrameBytes: Int
    /// Most messages queued for one worker that it has not read yet, and most calls waiting for
    /// its reply; past it a call fails with ``CallError/mailboxFull`` and a cast is dropped (and
    /// counted in ``RuntimeStatistics/isolatedMessagesRefused``). Default 10,000.
    public var maxQueuedMessages: Int
    /// How long a worker may take to finish after its proxy stopped in order (it runs its
    /// server's `terminate`) before it is killed. A proxy killed or crashed kills its worker at
    /// once. Default 2 s.
    public var stopGrace: Duration
    /// `SWIFT_BACKTRACE` for the worker (default ``BacktraceSettings/quick``: the crashing
    /// thread's addresses, printed in about 0.1 s, with no symbolication).
    public var backtrace: String

    /// Creates a configuration; see each property.
    public init(
        behaviors: IsolatedBehaviors = IsolatedBehaviors(),
        executable: String = "/proc/self/exe",
        arguments: [String] = ["isolated-worker"],
        maxFrameBytes: Int = 1 << 20,
        maxQueuedMessages: Int = 10_000,
        stopGrace: Duration = .seconds(2),
        backtrace: String = BacktraceSettings.quick
    ) {
        self.behaviors = behaviors
        self.executable = executable
        self.arguments = arguments
        self.maxFrameBytes = Swift.max(64, maxFrameBytes)
        self.maxQueuedMessages = Swift.max(1, maxQueuedMessages)
        self.stopGrace = stopGrace
        self.backtrace = backtrace
    }
}
