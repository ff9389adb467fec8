import CSiteflowRuntime
public import Synchronization

/// The part of every process that does not depend on its message type: the inbox word and the
/// system-signal lane, identity, counters, and the exit procedure (links, monitors, hooks).
///
/// An idle process is only this object (plus its behaviour state): no thread, no task.
@usableFromInline
package class ProcessCore: @unchecked Sendable {
    // Hot-path members are @usableFromInline so that each behaviour's receive loop and each
    // message type's send are specialised in the module that defines them (no generic metadata
    // look-ups per message).

    // Safe: `inbox`, `signals`, counters and `extras` are atomics or lock-protected; fields
    // documented "owner" are touched only by the thread currently running the process, and the
    // run queue hand-off (acquire/release on the inbox word) orders those accesses.

    // Field order matters: a sender touches the inbox, the counters, the runtime and the pool
    // flag, declared first so that they span 27 bytes (one cache line for most objects) — in a
    // fan-out the sender pays for every line of the receiver that another core wrote last — and
    // `bound`, read before anything else and loaded early (ADR 0001).

    /// The inbox word (see ``InboxWord``): a lock-free LIFO of message nodes plus the scheduling state.
    @usableFromInline final let inbox: Atomic<UInt>
    /// Messages pushed by senders and not yet taken into the owner's FIFO. 32-bit, like
    /// ``fifoCount``, so that the two share one word of the process object (a mailbox never
    /// holds 2³¹ messages: that would be tens of GiB of nodes).
    @usableFromInline final let pending = Atomic<Int32>(0)
    /// Messages in the owner's FIFO (written by the owner, read by introspection).
    @usableFromInline final let fifoCount = Atomic<Int32>(0)
    @usableFromInline final let runtime: Runtime
    /// Owner: flags such as "traps exits" and "stop requested".
    @usableFromInline @exclusivity(unchecked) final var ownerFlags: UInt8 = 0
    /// The process table shard holding this process (written once when it is published).
    final var tableShard: UInt8 = 0
    /// Whether the process runs on the blocking pool (``SpawnOptions/blocking``). Declared
    /// between the small fields so that it takes no word of its own.
    final let isBlocking: Bool
    /// Position in its process table shard (written once when the process is published).
    final var tableSlot: UInt32 = 0
    /// The system lane: a lock-free LIFO of retained ``SignalNode``s, or ``InboxWord/dead``.
    @usableFromInline final let signals = Atomic<UInt>(0)
    /// Owner: the private FIFO of messages taken from the inbox (head node address or 0).
    @usableFromInline @exclusivity(unchecked) final var fifo: UInt = 0
    /// Messages handled so far (written by the owner, read by introspection).
    @usableFromInline final let handledCount = Atomic<UInt64>(0)
    /// Unique number within the runtime; also the `<0.N.0>` printed form. Handed out by the
    /// process table shard that takes the process (written once, before anyone else can see it).
    @exclusivity(unchecked) final var serial: UInt64 = 0
    /// The pool the process runs on, unretained (the runtime, held strongly above, owns both of
    /// its pools for its whole life). Looked up through the runtime rather than stored, which
    /// keeps the process object a word smaller; `Unmanaged`, so that scheduling — once per
    /// message that wakes the process — touches no reference count.
    final var schedulerReference: Unmanaged<Scheduler> {
        isBlocking ? runtime.blockingPoolReference : runtime.ordinaryPoolReference
    }
    /// The pool the process runs on.
    final var scheduler: Scheduler { schedulerReference.takeUnretainedValue() }
    /// Bound and counters of a bounded mailbox; nil when unbounded.
    @usableFromInline final let bound: MailboxBound?
    /// Links, monitors, name, parent and exit hooks, created on first use: a retained
    /// ``ProcessExtras`` pointer, or 0. Hand-rolled rather than an `AtomicLazyReference`, whose
    /// generic methods (not specialised across the module boundary) looked up their metadata on
    /// every call — at every exit and stop request.
    private final let extrasWord = Atomic<UInt>(0)

    /// `runtime` is borrowed down the initialiser chain, so a spawn retains it once (for this
    /// field) instead of retaining it for each owned argument and releasing it again.
    @usableFromInline
    init(runtime: borrowing Runtime, blocking: Bool, bound: MailboxBound?, startsRunning: Bool) {
        self.runtime = copy runtime
        self.isBlocking = blocking
        self.bound = bound
        self.inbox = Atomic(startsRunning ? InboxWord.running : InboxWord.idle)
    }

    /// Whether the process has not ended yet.
    final var isAlive: Bool { inbox.load(ordering: .relaxed) != InboxWord.dead }

    deinit {
        if let raw = UnsafeRawPointer(bitPattern: extrasWord.load(ordering: .acquiring)) {
            Unmanaged<ProcessExtras>.fromOpaque(raw).release()
        }
    }

    /// The process's extras if they were created (never creates them).
    final var existingExtras: ProcessExtras? {
        guard let raw = UnsafeRawPointer(bitPattern: extrasWord.load(ordering: .acquiring)) else { return nil }
        return Unmanaged<ProcessExtras>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The process's extras, created on first use.
    @usableFromInline
    final var extras: ProcessExtras {
        if let existing = existingExtras { return existing }
        return installExtras()
    }

    /// Creates the extras and publishes them, unless another thread did first (then returns theirs).
    private final func installExtras() -> ProcessExtras {
        let created = Unmanaged.passRetained(ProcessExtras())
        let (exchanged, original) = extrasWord.compareExchange(
            expected: 0, desired: UInt(bitPattern: created.toOpaque()),
            successOrdering: .acquiringAndReleasing, failureOrdering: .acquiring)
        if exchanged { return created.takeUnretainedValue() }
        created.release()
        guard let raw = UnsafeRawPointer(bitPattern: original) else { return installExtras() }
        return Unmanaged<ProcessExtras>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: Subclass hooks

    /// Runs the process for at most `budget` messages (overridden by the behaviour cells).
    @usableFromInline
    func run(budget: Int) -> RunOutcome { .idle }

    /// Frees every queued message node starting at `top` (a LIFO chain) plus the owner's FIFO.
    func discardQueuedMessages(top: UInt) {}

    /// A printable name of the behaviour type, for introspection.
    var behaviorName: String { "process" }

    /// Bytes of behaviour state held inline (for the memory estimate).
    var stateSize: Int { 0 }

    /// Owner: adds one run's handled messages to the process's and the worker's counters.
    @usableFromInline
    final func recordHandled(_ count: Int) {
        handledCount.store(handledCount.load(ordering: .relaxed) &+ UInt64(count), ordering: .relaxed)
        if let raw = sf_current_worker() {
            Unmanaged<Worker>.fromOpaque(raw)._withUnsafeGuaranteedRef { sf_add_handled($0.shared, count) }
        }
    }

    // MARK: Scheduling

    @usableFromInline
    final func scheduleSelf() {
        let entry = UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())
        schedulerReference._withUnsafeGuaranteedRef { $0.schedule(entry) }
    }

    /// Owner: tries to go idle after finding the inbox empty. Returns true if the process is now
    /// idle (or was rescheduled by someone else), false if it must keep running (new messages or
    /// signals arrived).
    @inlinable
    final func tryGoIdle() -> Bool {
        guard
            inbox.compareExchange(
                expected: InboxWord.running, desired: InboxWord.idle,
                successOrdering: .sequentiallyConsistent, failureOrdering: .acquiring
            ).exchanged
        else { return false }
        // Store-load with the signal pushers (Dekker): a signal pushed before our idle store is
        // seen here; one pushed after sees `idle` and schedules us itself.
        let lane = signals.load(ordering: .sequentiallyConsistent)
        if lane != 0 && lane != InboxWord.dead {
            return !inbox.compareExchange(
                expected: InboxWord.idle, desired: InboxWord.running,
                successOrdering: .sequentiallyConsistent, failureOrdering: .relaxed
            ).exchanged
        }
        return true
    }

    /// Starts a process created "running" (its init ran before anyone could schedule it).
    final func activate() {
        if fifo != 0 || !tryGoIdle() { scheduleSelf() }
    }

    // MARK: Signals

    /// Pushes a system signal and schedules the process if it was idle. Dropped if it has ended.
    final func pushSignal(_ signal: SystemSignal) {
        let node = Unmanaged.passRetained(SignalNode(signal))
        let bits = UInt(bitPattern: node.toOpaque())
        var old = signals.load(ordering: .relaxed)
        while true {
            if old == InboxWord.dead {
                node.release()
                return
            }
            node._withUnsafeGuaranteedRef { $0.next = old }
            let result = signals.compareExchange(
                expected: old, desired: bits,
                successOrdering: .sequentiallyConsistent, failureOrdering: .relaxed)
            if result.exchanged { break }
            old = result.original
        }
        if inbox.compareExchange(
            expected: InboxWord.idle, desired: InboxWord.running,
            successOrdering: .sequentiallyConsistent, failureOrdering: .relaxed
        ).exchanged {
            scheduleSelf()
        }
    }

    /// Owner: takes every pending signal, oldest first.
    @usableFromInline
    final func takeSignals() -> [SystemSignal] {
        var top = signals.exchange(0, ordering: .acquiring)
        if top == InboxWord.dead {
            signals.store(InboxWord.dead, ordering: .releasing)
            return []
        }
        var taken: [SystemSignal] = []
        while top != 0 {
            guard let raw = UnsafeRawPointer(bitPattern: top) else { break }
            let node = Unmanaged<SignalNode>.fromOpaque(raw).takeRetainedValue()
            taken.append(node.signal)
            top = node.next
        }
        taken.reverse()
        return taken
    }

    /// Whether the system lane has anything (cheap check between messages).
    @inlinable
    final var hasSignals: Bool {
        let lane = signals.load(ordering: .relaxed)
        return lane != 0 && lane != InboxWord.dead
    }

    // MARK: Owner flags

    @usableFromInline static let trapsExitsFlag: UInt8 = 1
    @usableFromInline static let stopRequestedFlag: UInt8 = 2

    final var trapsExits: Bool {
        get { ownerFlags & ProcessCore.trapsExitsFlag != 0 }
        set { ownerFlags = newValue ? ownerFlags | ProcessCore.trapsExitsFlag : ownerFlags & ~ProcessCore.trapsExitsFlag }
    }

    /// Owner: asks the process to stop with `reason` once the current handler returns.
    @usableFromInline
    final func requestStop(_ reason: ExitReason) {
        extras.stopReason = reason
        ownerFlags |= ProcessCore.stopRequestedFlag
    }

    @inlinable
    final var stopRequested: Bool { ownerFlags & ProcessCore.stopRequestedFlag != 0 }

    /// What an exit signal does to this process (owner).
    @usableFromInline
    enum ExitSignalDecision {
        case ignore
        case deliver
        case die(ExitReason, runsTerminate: Bool)
    }

    /// Erlang's rules: `kill` is untrappable and becomes `killed`; a trapping process gets the
    /// signal as a message; otherwise `normal` is ignored and any other reason ends the process
    /// with the same reason. A `shutdown` from the process's parent is an orderly stop that runs
    /// `terminate` (Siteflow's choice: servers clean up on supervisor shutdown without trapping).
    @usableFromInline
    final func decide(exitFrom sender: ProcessID, reason: ExitReason) -> ExitSignalDecision {
        if case .kill = reason { return .die(.killed, runsTerminate: false) }
        if trapsExits { return .deliver }
        if reason.isNormal { return sender.core === self ? .die(.normal, runsTerminate: false) : .ignore }
        let fromParent = existingExtras?.parent === sender.core
        return .die(reason, runsTerminate: fromParent && reason.isOrderly)
    }

    // MARK: Exit

    /// Owner: ends the process. `ownFault` is true when the process's own code ended it (a thrown
    /// error or a stop), false when an exit signal did; only the former writes a crash report. Marks it dead (later sends are dropped), frees queued messages,
    /// breaks links (sending exit signals), fires monitors, and runs exit hooks. The worker (or
    /// the async task) then removes it from the process table.
    @usableFromInline
    final func finishExit(reason: ExitReason, ownFault: Bool) {
        let top = inbox.exchange(InboxWord.dead, ordering: .sequentiallyConsistent)
        let me = ProcessID(self)
        // Record the reason before queued messages are released (a pending call's reply slot
        // reads it when it is dropped), and always through `extras` (created if needed), so that
        // a link, monitor or exit hook added by another thread while this process ends sees
        // `exited` instead of waiting for ever.
        let departing = extras.state.withLock { state -> ProcessExtras.Departure in
            state.exited = true
            state.exitReason = reason
            let departure = ProcessExtras.Departure(
                links: state.links.members, watchers: state.watchers,
                monitoring: state.monitoring, hooks: state.exitHooks.takeAll())
            state.links = LinkSet()
            state.watchers = [:]
            state.monitoring = [:]
            return departure
        }
        discardQueuedMessages(top: top)
        var lane = signals.exchange(InboxWord.dead, ordering: .acquiring)
        while lane != 0 && lane != InboxWord.dead {
            guard let raw = UnsafeRawPointer(bitPattern: lane) else { break }
            let node = Unmanaged<SignalNode>.fromOpaque(raw).takeRetainedValue()
            lane = node.next
        }
        pending.store(0, ordering: .relaxed)
        fifoCount.store(0, ordering: .relaxed)
        for linked in departing.links {
            linked.extras.state.withLock { $0.links.remove(self) }
            linked.pushSignal(.exit(from: me, reason: reason))
        }
        for (reference, watcher) in departing.watchers {
            watcher.pushSignal(.down(reference, process: me, reason: reason))
        }
        for (reference, target) in departing.monitoring {
            target.existingExtras?.state.withLock { _ = $0.watchers.removeValue(forKey: reference) }
        }
        // Count (and report) the exit before the hooks run, so a `waitForExit` caller sees it.
        runtime.processExited(self, reason: reason, ownFault: ownFault)
        departing.hooks.callAll(me, reason)
        // Hooks added while those ran run now, in order, until none are left.
        while true {
            let late = extras.state.withLock { state -> ExitHookList in
                let late = state.exitHooks.takeAll()
                if late.isEmpty { state.exitHooksDone = true }
                return late
            }
            if late.isEmpty { break }
            late.callAll(me, reason)
        }
    }
}
