import Synchronization

/// Node-wide counters, safe to read from any thread at any time (relaxed snapshots).
public final class RuntimeStatistics: Sendable {
    /// Counts the spawns (per shard, so a spawn pays no shared counter).
    private let processTable: ProcessTable
    let exitedCounter = Atomic<Int>(0)
    let crashedCounter = Atomic<Int>(0)
    let spawnsRefusedCounter = Atomic<Int>(0)
    let mailboxOverflowCounter = Atomic<Int>(0)
    let longRunCounter = Atomic<Int>(0)
    let restartCounter = Atomic<Int>(0)
    let isolatedRefusedCounter = Atomic<Int>(0)

    init(processTable: ProcessTable) {
        self.processTable = processTable
    }

    /// Processes spawned since start.
    public var spawned: Int { processTable.inserted }
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
    /// Messages for isolated processes' workers refused because
    /// ``IsolationConfiguration/maxQueuedMessages`` were already waiting (a call fails with
    /// ``CallError/mailboxFull``, a cast is dropped), or because they could not be encoded.
    public var isolatedMessagesRefused: Int { isolatedRefusedCounter.load(ordering: .relaxed) }
}
