import Synchronization
import CSiteflowRuntime

/// One scheduler thread: a FIFO run queue, a LIFO slot for the entry it just woke, stealing from
/// its siblings, and spin-then-park idling.
///
/// Run-queue entries are words: an unretained ``ProcessCore`` pointer (bit 0 clear; the runtime's
/// process table keeps the process alive until its last run) or a Swift job (bit 0 set) enqueued
/// through the scheduler's `TaskExecutor` conformance.
final class Worker: @unchecked Sendable {
    // Safe: the run queue is only touched under `queueLock`; fields marked "owner" are only touched
    // by this worker's own thread; `shared` fields are atomics (C `__atomic` builtins).

    let index: Int
    /// The scheduler, unretained: it outlives its workers (every worker thread holds a strong
    /// reference to it). Kept `Unmanaged`, not `unowned(unsafe)`, whose every use retains and
    /// releases: on the hot paths (a wake-up check per push, every steal attempt of a spinning
    /// worker) that was an atomic on the scheduler's header, a cache line every worker shares.
    let schedulerReference: Unmanaged<Scheduler>
    /// The scheduler (cold paths; hot ones use ``schedulerReference`` without touching its count).
    var scheduler: Scheduler { schedulerReference.takeUnretainedValue() }
    /// Every worker of the scheduler, this one included, unretained (the scheduler owns the
    /// buffer and the workers): stealing walks it without retaining an array or a victim.
    let siblings: UnsafeBufferPointer<Unmanaged<Worker>>
    let parker: OpaquePointer
    let shared: OpaquePointer
    // The scheduler's configuration, copied so that the loop reads it without a pointer chase.
    private let budget: Int
    private let maxLIFOStreak: Int
    private let spinIterations: Int
    private let loneStealNanoseconds: UInt64
    private let parkNanoseconds: UInt64

    @exclusivity(unchecked) private var queue = RunQueue(capacity: 1024)
    private let queueLock = SpinLock()

    // Owner-only state.
    @exclusivity(unchecked) private var lifo: UInt = 0
    @exclusivity(unchecked) private var lifoStreak = 0
    private let stealBuffer = UnsafeMutablePointer<UInt>.allocate(capacity: 512)
    @exclusivity(unchecked) private var seenRuns: [Int] = []
    @exclusivity(unchecked) private var seenAt: [UInt64] = []
    /// Owner: a spare call reply slot, retained (see ``ReplySlotRecycler``).
    @exclusivity(unchecked) var spareReplySlot: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var smallNodes: NodeCache
    @exclusivity(unchecked) var largeNodes: NodeCache

    init(index: Int, scheduler: Scheduler, siblings: UnsafeBufferPointer<Unmanaged<Worker>>) {
        self.index = index
        self.schedulerReference = Unmanaged.passUnretained(scheduler)
        self.siblings = siblings
        budget = scheduler.configuration.budget
        maxLIFOStreak = scheduler.configuration.maxLIFOStreak
        spinIterations = scheduler.configuration.spinIterations
        loneStealNanoseconds = scheduler.configuration.loneStealNanoseconds
        parkNanoseconds = scheduler.configuration.parkNanoseconds
        smallNodes = NodeCache(depot: scheduler.smallDepot)
        largeNodes = NodeCache(depot: scheduler.largeDepot)
        guard let parker = sf_parker_new(), let shared = sf_worker_shared_new() else {
            fatalError("Siteflow: out of memory creating a scheduler worker")
        }
        self.parker = parker
        self.shared = shared
    }

    deinit {
        stealBuffer.deallocate()
        sf_parker_free(parker)
        sf_worker_shared_free(shared)
    }

    /// Current run-queue length (racy snapshot, for statistics).
    var queueLength: Int { sf_len(shared) }

    @inline(__always)
    @discardableResult
    func pushLocal(_ entry: UInt) -> Int {
        queueLock.lock()
        queue.push(entry)
        let n = queue.count
        queueLock.unlock()
        sf_set_len_seqcst(shared, n)
        return n
    }

    @inline(__always)
    private func popLocal() -> UInt? {
        if sf_len(shared) == 0 { return nil }
        queueLock.lock()
        let entry = queue.pop()
        sf_set_len(shared, queue.count)
        queueLock.unlock()
        return entry
    }

    /// Called on this worker's thread when it wakes `entry`: the entry runs next, on a warm cache.
    @inline(__always)
    func scheduleFromOwner(_ entry: UInt) {
        let previous = lifo
        lifo = entry
        if previous != 0 {
            // Wake a parked sibling only when there is surplus work it would be allowed to steal.
            if pushLocal(previous) >= 2 { schedulerReference._withUnsafeGuaranteedRef { $0.wakeOne(preferring: nil) } }
        }
    }

    /// Steals half of a victim's queue. A victim's lone queued entry is left alone (it runs right
    /// after the victim's current one, on a warm cache) unless the victim has not started a run for
    /// `loneStealNanoseconds`, i.e. it is stuck in a long handler.
    private func steal() -> UInt? {
        let n = siblings.count
        if n < 2 { return nil }
        for k in 1..<n {
            let victimIndex = (index + k) % n
            if let entry = siblings[victimIndex]._withUnsafeGuaranteedRef({ steal(from: $0, victimIndex: victimIndex) }) {
                return entry
            }
        }
        return nil
    }

    /// Steals half of `victim`'s queue (see ``steal()``); nil if there is nothing to take.
    @inline(__always)
    private func steal(from victim: Worker, victimIndex: Int) -> UInt? {
        let length = sf_len(victim.shared)
        if length == 0 { return nil }
        if length == 1 {
            let runs = sf_runs(victim.shared)
            let now = sf_now_ns()
            if runs != seenRuns[victimIndex] {
                seenRuns[victimIndex] = runs
                seenAt[victimIndex] = now
                return nil
            }
            if now &- seenAt[victimIndex] < loneStealNanoseconds { return nil }
        }
        let buffer = stealBuffer
        victim.queueLock.lock()
        let got = victim.queue.popBatch(into: buffer, max: Swift.min(512, (victim.queue.count + 1) / 2))
        sf_set_len(victim.shared, victim.queue.count)
        victim.queueLock.unlock()
        if got == 0 { return nil }
        if got > 1 {
            queueLock.lock()
            for i in 1..<got { queue.push(buffer[i]) }
            sf_set_len(shared, queue.count)
            queueLock.unlock()
        }
        return buffer[0]
    }

    @inline(__always)
    private func next() -> UInt? {
        if lifo != 0 {
            let entry = lifo
            lifo = 0
            if lifoStreak < maxLIFOStreak {
                lifoStreak &+= 1
                return entry
            }
            // Streak over: the oldest queued entry runs first. Pop before pushing so the rotation
            // never makes the queue look like surplus to thieves.
            lifoStreak = 0
            if let oldest = popLocal() {
                pushLocal(entry)
                return oldest
            }
            return entry
        }
        lifoStreak = 0
        if let entry = popLocal() { return entry }
        return steal()
    }

    /// The worker thread's main loop; returns when the scheduler stops.
    func loop() {
        sf_set_current_worker(Unmanaged.passUnretained(self).toOpaque())
        sf_set_current_worker_shared(shared)
        sf_set_shard_hint(UInt32(truncatingIfNeeded: index + 1))
        seenRuns = Array(repeating: -1, count: siblings.count)
        seenAt = Array(repeating: 0, count: siblings.count)
        let budget = self.budget
        while !schedulerReference._withUnsafeGuaranteedRef({ $0.isStopping }) {
            guard let entry = next() ?? idleFind() else { continue }
            execute(entry, budget: budget)
        }
        if let spare = spareReplySlot {
            spareReplySlot = nil
            Unmanaged<AnyObject>.fromOpaque(spare).release()
        }
        smallNodes.release()
        largeNodes.release()
        sf_set_current_worker(nil)
        sf_set_current_worker_shared(nil)
    }

    @inline(__always)
    private func execute(_ entry: UInt, budget: Int) {
        if entry & 1 != 0 {
            sf_begin_run(shared, UInt64.max)
            let job = unsafeBitCast(entry & ~1, to: UnownedJob.self)
            schedulerReference._withUnsafeGuaranteedRef { job.runSynchronously(on: $0.asUnownedTaskExecutor()) }
            sf_begin_run(shared, 0)
            return
        }
        let process = Unmanaged<ProcessCore>.fromOpaque(UnsafeRawPointer(bitPattern: entry).unsafelyUnwrapped)
        let outcome = process._withUnsafeGuaranteedRef { p -> RunOutcome in
            sf_begin_run(shared, p.serial)
            return p.run(budget: budget)
        }
        sf_begin_run(shared, 0)
        finish(entry, outcome: outcome)
    }

    /// What a process run leaves to its worker.
    @inline(__always)
    private func finish(_ entry: UInt, outcome: RunOutcome) {
        switch outcome {
        case .idle, .detached:
            break
        case .again:
            if pushLocal(entry) >= 2 { schedulerReference._withUnsafeGuaranteedRef { $0.wakeOne(preferring: nil) } }
        case .exited:
            // The process table's reference is the last one the runtime holds; dropping it here,
            // after the run returned, is the only safe place (the run queue held it unretained).
            let process = Unmanaged<ProcessCore>.fromOpaque(UnsafeRawPointer(bitPattern: entry).unsafelyUnwrapped)
            process._withUnsafeGuaranteedRef { $0.runtime.processTable.remove($0) }
        }
    }

    /// Nothing runnable: spin a while looking for work, then park. The park is bounded while any
    /// sibling has queued work (so a lone entry stuck behind a long handler is eventually stolen)
    /// and unbounded when the whole scheduler is idle (an idle node burns no CPU).
    private func idleFind() -> UInt? {
        let spins = spinIterations
        var i = 0
        while i < spins {
            if let entry = popLocal() ?? steal() { return entry }
            sf_cpu_relax()
            i &+= 1
        }
        let scheduler = schedulerReference.takeUnretainedValue()
        sf_set_idle(shared)
        scheduler.idleCount.add(1, ordering: .sequentiallyConsistent)
        if let entry = popLocal() ?? steal() {
            if sf_clear_idle(shared) != 0 { scheduler.idleCount.subtract(1, ordering: .sequentiallyConsistent) }
            return entry
        }
        if scheduler.isStopping {
            if sf_clear_idle(shared) != 0 { scheduler.idleCount.subtract(1, ordering: .sequentiallyConsistent) }
            return nil
        }
        let othersBusy = siblings.indices.contains { $0 != index && siblings[$0]._withUnsafeGuaranteedRef { sf_len($0.shared) } > 0 }
        sf_park(parker, othersBusy ? parkNanoseconds : 0)
        if sf_clear_idle(shared) != 0 { scheduler.idleCount.subtract(1, ordering: .sequentiallyConsistent) }
        return nil
    }
}

/// What a process run left to do for its worker.
@usableFromInline
enum RunOutcome: Int {
    /// The mailbox is empty and the process went idle (or another sender rescheduled it).
    case idle
    /// The budget ran out with messages left: back of the run queue.
    case again
    /// The process exited during this run: release it from the process table.
    case exited
    /// An async handler took over the process on a task; the task reschedules or releases it.
    case detached
}
