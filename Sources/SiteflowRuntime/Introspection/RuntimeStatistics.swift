import Synchronization

/// Node-wide counters, safe to read from any thread at any time (relaxed snapshots).
public final class RuntimeStatistics: Sendable {
    /// The next process serial number: serials count spawns, so a spawn pays no separate counter.
    let serials = Atomic<UInt64>(1)
    /// Serials handed out to processes that were never published (their name was taken).
    let unpublishedCounter = Atomic<Int>(0)
    let exitedCounter = Atomic<Int>(0)
    let crashedCounter = Atomic<Int>(0)
    let spawnsRefusedCounter = Atomic<Int>(0)
    let mailboxOverflowCounter = Atomic<Int>(0)
    let longRunCounter = Atomic<Int>(0)
    let restartCounter = Atomic<Int>(0)

    init() {}

    /// Processes spawned since start.
    public var spawned: Int {
        Int(truncatingIfNeeded: serials.load(ordering: .relaxed) &- 1) &- unpublishedCounter.load(ordering: .relaxed)
    }
    /// Processes ended since start.
    public var exited: Int { exitedCounter.load(ordering: .relaxed) }
    /// Processes that ended with an error or another abnormal reason of their own.
    public var crashed: Int { crashedCounter.load(ordering: .relaxed) }
    /// Spawns refused because the process limit was reached.
    public var spawnsRefused: Int { spawnsRefusedCounter.load(ordering: .relaxed) }
    /// Messages a full bounded mailbox dropped or refused.
    public var mailboxOverflows: Int { mailboxOverflowCounter.load(ordering: .relaxed) }
    /// Handlers the watchdog saw running past the long-run threshold.
    public var longRuns: Int { longRunCounter.load(ordering: .relaxed) }
    /// Children restarted by supervisors.
    public var restarts: Int { restartCounter.load(ordering: .relaxed) }
}
