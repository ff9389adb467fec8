/// Tuning of one scheduler (the main pool or the blocking pool). Every parameter has a default
/// that suits a 2-to-64-core server; change them only with a benchmark in hand.
public struct SchedulerConfiguration: Sendable, Hashable {
    /// Worker threads; default one per core.
    public var threads: Int
    /// Messages a process may handle per run before it yields its worker (Erlang's reductions).
    public var budget: Int
    /// Consecutive runs from the LIFO slot before the oldest queued process goes first.
    public var maxLIFOStreak: Int
    /// Polls an idle worker makes before it parks. 0 parks at once (the blocking pool's choice).
    public var spinIterations: Int
    /// How long a sibling's lone queued process waits before an idle worker may steal it.
    public var loneStealNanoseconds: UInt64
    /// Bounded park while siblings have queued work.
    public var parkNanoseconds: UInt64
    /// A handler running longer than this is reported by the watchdog (log + counter).
    public var longRunThreshold: Duration
    /// A label for thread names and logs.
    public var name: String

    /// Creates a configuration; see each property for what it means.
    public init(
        threads: Int = SchedulerConfiguration.coreCount,
        budget: Int = 100,
        maxLIFOStreak: Int = 32,
        spinIterations: Int = 2000,
        loneStealNanoseconds: UInt64 = 50_000,
        parkNanoseconds: UInt64 = 1_000_000,
        longRunThreshold: Duration = .milliseconds(100),
        name: String = "siteflow"
    ) {
        self.threads = Swift.max(1, threads)
        self.budget = Swift.max(1, budget)
        self.maxLIFOStreak = Swift.max(0, maxLIFOStreak)
        self.spinIterations = Swift.max(0, spinIterations)
        self.loneStealNanoseconds = loneStealNanoseconds
        self.parkNanoseconds = Swift.max(1000, parkNanoseconds)
        self.longRunThreshold = longRunThreshold
        self.name = name
    }

    /// Online cores of this machine.
    public static var coreCount: Int {
        #if canImport(Glibc)
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 2
        #endif
    }

    /// The defaults for the pool that runs blocking and CPU-heavy processes (Erlang's dirty
    /// schedulers): more threads than cores, no spinning.
    public static var blockingPool: SchedulerConfiguration {
        SchedulerConfiguration(
            threads: Swift.max(4, coreCount * 2), spinIterations: 0, name: "siteflow-blocking")
    }
}

#if canImport(Glibc)
import Glibc
#endif
