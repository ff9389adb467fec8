import CSiteflowRuntime
public import Logging
import Synchronization

/// A Siteflow node's process runtime: the schedulers, the process table and the services every
/// process can use (registry, timers, statistics).
///
/// Create one per OS process (tests may create several), spawn processes on it, and call
/// ``shutdown()`` when done: it ends every process and stops the worker threads.
///
/// Exit-signal rules follow Erlang: a process that ends with an abnormal reason sends an exit
/// signal to every linked process, which then ends with the same reason unless it traps exits;
/// `normal` does not end linked processes; ``ExitReason/kill`` cannot be trapped and propagates as
/// ``ExitReason/killed``. Monitors deliver exactly one ``Signal/down(_:process:reason:)``.
public final class Runtime: Sendable {
    /// The settings this runtime was created with.
    public let configuration: RuntimeConfiguration
    /// The ordinary workers.
    public let scheduler: Scheduler
    /// The pool for blocking and CPU-heavy processes.
    public let blockingScheduler: Scheduler
    /// The two pools, unretained (this runtime owns them), for the scheduling hot path.
    let ordinaryPoolReference: Unmanaged<Scheduler>
    let blockingPoolReference: Unmanaged<Scheduler>
    /// Node-wide counters (processes spawned, crashed, overflowed mailboxes, long handlers, …).
    public let statistics: RuntimeStatistics
    let processTable: ProcessTable
    /// The node's unique process names (``register(_:_:)``, ``whereis(_:as:)``, ``SpawnOptions/name``).
    public let names = Registry<String>(keys: .unique)
    private let nextReference = Atomic<UInt64>(1)
    private let stopped = Atomic<Bool>(false)
    private let monitorThread: SchedulerMonitor
    /// The node's timer wheel (``sendAfter(_:to:after:)``, call timeouts, intervals).
    public let timers: TimerService
    /// Where the runtime's own reports go.
    public var logger: Logger { configuration.logger }
    /// The time source of the runtime's timers and supervisors (``RuntimeConfiguration/clock``).
    public var clock: any RuntimeClock { configuration.clock }

    /// Creates a runtime and starts its worker threads.
    public init(configuration: RuntimeConfiguration = RuntimeConfiguration()) {
        self.configuration = configuration
        let processTable = ProcessTable()
        self.processTable = processTable
        self.statistics = RuntimeStatistics(processTable: processTable)
        self.scheduler = Scheduler(configuration: configuration.scheduler)
        self.blockingScheduler = Scheduler(configuration: configuration.blockingScheduler)
        self.ordinaryPoolReference = Unmanaged.passUnretained(scheduler)
        self.blockingPoolReference = Unmanaged.passUnretained(blockingScheduler)
        self.monitorThread = SchedulerMonitor()
        self.timers = TimerService(clock: configuration.clock, threadName: "siteflow-timers", shards: configuration.scheduler.threads + 1)
        scheduler.start()
        blockingScheduler.start()
        monitorThread.start(runtime: self)
    }

    /// Whether ``shutdown()`` has been called.
    public var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Messages handled since start, summed over the workers (updated once per process run).
    public var messagesHandled: Int {
        (scheduler.workers + blockingScheduler.workers).reduce(0) { $0 + sf_handled($1.shared) }
    }

    /// Processes alive now.
    public var processCount: Int { processTable.count.load(ordering: .relaxed) }

    // MARK: Spawning

    /// Spawns a process running `behavior`. It runs only when it has messages; until then it
    /// holds no thread and no task.
    /// - Throws: ``SpawnError/processLimitReached(_:)`` past ``RuntimeConfiguration/maxProcesses``,
    ///   ``SpawnError/nameTaken(_:)`` if `options.name` is registered, ``SpawnError/runtimeStopped``.
    @discardableResult
    @inlinable
    public func spawn<B: Behavior>(_ behavior: consuming sending B, options: SpawnOptions = .default) throws(SpawnError) -> PID<B.Message> {
        try spawn(behavior, options: options, caller: nil)
    }

    /// Spawns a process running `behavior` with the default options (see ``spawn(_:options:)-6h0i4``).
    /// The common case gets its own entry point so that it copies, checks and destroys no
    /// ``SpawnOptions`` at all.
    /// - Throws: ``SpawnError/processLimitReached(_:)`` past ``RuntimeConfiguration/maxProcesses``,
    ///   ``SpawnError/runtimeStopped``.
    @discardableResult
    @inlinable
    public func spawn<B: Behavior>(_ behavior: consuming sending B) throws(SpawnError) -> PID<B.Message> {
        try reserve()
        let cell = ProcessCell(behavior, runtime: self, blocking: false, bound: nil, startsRunning: false) {
            runBehaviorLoop(B.self, process: $0, budget: $1)
        }
        insert(cell)
        return PID(cell)
    }

    /// Spawns a process running an ``AsyncBehavior`` (see ``spawn(_:options:)-6h0i4``).
    @discardableResult
    public func spawn<B: AsyncBehavior>(_ behavior: sending B, options: SpawnOptions = .default) throws(SpawnError) -> PID<B.Message> {
        try spawn(behavior, options: options, caller: nil)
    }

    /// `@inlinable` so that spawning is specialised for the behaviour's type where the behaviour is
    /// known (no generic metadata look-up per spawn; ADR 0001).
    @inlinable
    func spawn<B: Behavior>(_ behavior: consuming sending B, options: SpawnOptions, caller: ProcessCore?) throws(SpawnError) -> PID<B.Message> {
        try reserve()
        let cell = ProcessCell(
            behavior, runtime: self, blocking: options.blocking,
            bound: options.mailbox.capacity == nil ? nil : mailboxBound(options.mailbox), startsRunning: false
        ) { runBehaviorLoop(B.self, process: $0, budget: $1) }
        if options.isPlain {
            insert(cell)
        } else {
            try publish(cell, options: options, caller: caller)
        }
        return PID(cell)
    }

    func spawn<B: AsyncBehavior>(_ behavior: sending B, options: SpawnOptions, caller: ProcessCore?) throws(SpawnError) -> PID<B.Message> {
        try reserve()
        let cell = AsyncProcessCell(
            behavior, runtime: self, blocking: options.blocking,
            bound: mailboxBound(options.mailbox), startsRunning: false)
        try publish(cell, options: options, caller: caller)
        return PID(cell)
    }

    /// Creates a process that does not run until ``ProcessCore/activate()``: messages sent
    /// meanwhile wait in its mailbox. Used to run a server's `init` before its first message.
    func spawnSuspended<B: Behavior>(
        _ behavior: sending B, options: SpawnOptions, caller: ProcessCore?, loop: @escaping ReceiveLoop
    ) throws(SpawnError) -> ProcessCell<B> {
        try reserve()
        let cell = ProcessCell(
            behavior, runtime: self, blocking: options.blocking,
            bound: mailboxBound(options.mailbox), startsRunning: true, loop: loop)
        try publish(cell, options: options, caller: caller)
        return cell
    }

    /// Creates an async process that does not run until ``ProcessCore/activate()``: messages sent
    /// meanwhile wait in its mailbox. Used to run a server's `init` before its first message.
    func spawnSuspended<B: AsyncBehavior>(_ behavior: sending B, options: SpawnOptions, caller: ProcessCore?) throws(SpawnError) -> AsyncProcessCell<B> {
        try reserve()
        let cell = AsyncProcessCell(
            behavior, runtime: self, blocking: options.blocking,
            bound: mailboxBound(options.mailbox), startsRunning: true)
        try publish(cell, options: options, caller: caller)
        return cell
    }

    /// Checks the runtime is running and reserves a place under the process limit. (The new
    /// process's serial number comes from the process table shard that takes it.)
    @usableFromInline
    func reserve() throws(SpawnError) {
        if stopped.load(ordering: .relaxed) { throw .runtimeStopped }
        guard processTable.reserve(limit: configuration.maxProcesses) else {
            statistics.spawnsRefusedCounter.wrappingAdd(1, ordering: .relaxed)
            throw .processLimitReached(configuration.maxProcesses)
        }
    }

    /// The counters of a bounded mailbox, or nil for an unbounded one.
    @usableFromInline
    func mailboxBound(_ options: MailboxOptions) -> MailboxBound? {
        guard let capacity = options.capacity else { return nil }
        return MailboxBound(capacity: capacity, overflow: options.overflow)
    }

    /// Puts a new process with plain options (see ``SpawnOptions/isPlain``) in the process table.
    /// `cell` must not have been shared with any other thread yet (see
    /// ``ProcessTable/insertUnpublished(_:)``).
    @usableFromInline
    func insert(_ cell: ProcessCore) {
        processTable.insertUnpublished(cell)
    }

    /// Puts a new process in the process table and applies its options (name, exit trapping,
    /// parent, link). A plain spawn only inserts it.
    @usableFromInline
    func publish(_ cell: ProcessCore, options: SpawnOptions, caller: ProcessCore?) throws(SpawnError) {
        if options.isPlain {
            // Nothing has shared the new process yet (a name, a parent or a link would).
            processTable.insertUnpublished(cell)
            return
        }
        if options.isolation != .none {
            // Only servers can be isolated (startServer takes them aside before any spawn).
            processTable.cancelReservation()
            throw .notIsolatable(cell.behaviorName)
        }
        if let name = options.name {
            // The registry makes the process reachable before it is inserted: number it first.
            processTable.assignSerial(cell)
            guard registerUniqueName(name, for: cell) else {
                processTable.cancelReservation()
                throw .nameTaken(name)
            }
        }
        processTable.insert(cell)
        if options.trapExits { cell.trapsExits = true }
        let parent = options.parent?.core ?? (options.link ? caller : nil)
        if parent != nil || options.name != nil {
            cell.extras.state.withLock { state in
                state.parent = parent
                state.name = options.name
            }
        }
        if options.link, let caller { caller.link(to: cell) }
    }

    // MARK: Signals from outside any process

    /// Sends an exit signal to `target` from outside any process (Erlang's `exit/2` from the shell).
    public func exit(_ target: ProcessID, reason: ExitReason) {
        target.core.sendExit(from: target, reason: reason.isNormal ? .custom("normal(external)") : reason)
    }

    /// Sends an exit signal to `target` on behalf of `sender` (used by test kits and supervisors
    /// that act for a process from outside its handler).
    public func exit(_ target: ProcessID, reason: ExitReason, from sender: ProcessID) {
        target.core.sendExit(from: sender, reason: reason)
    }

    /// Links two processes from outside either of them (same rules as ``ProcessContext/link(_:)``:
    /// if `b` has ended, `a` gets an exit signal with reason ``ExitReason/noproc``).
    public func link(_ a: ProcessID, _ b: ProcessID) {
        a.core.link(to: b.core)
    }

    /// Makes `watcher` monitor `target` from outside either of them; `watcher` gets the `down`.
    @discardableResult
    public func monitor(_ target: ProcessID, by watcher: ProcessID) -> MonitorReference {
        watcher.core.monitor(target.core)
    }

    /// Waits until `process` ends and returns its exit reason (at once if it already ended).
    public func waitForExit(_ process: ProcessID) async -> ExitReason {
        await withCheckedContinuation { (continuation: CheckedContinuation<ExitReason, Never>) in
            process.core.addExitHook { _, reason in continuation.resume(returning: reason) }
        }
    }

    /// Calls `hook` once when `process` ends (at once if it already ended), on the thread that
    /// ran the process's exit. Keep it short and non-blocking.
    public func onExit(of process: ProcessID, _ hook: @escaping @Sendable (ProcessID, ExitReason) -> Void) {
        process.core.addExitHook(hook)
    }

    var monitorSamples: SchedulerMonitor.Samples { monitorThread.snapshot }

    func makeMonitorReference() -> MonitorReference {
        MonitorReference(value: nextReference.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    // MARK: Exit bookkeeping

    /// Called by every process as it ends (before it leaves the process table).
    func processExited(_ process: ProcessCore, reason: ExitReason, ownFault: Bool) {
        statistics.exitedCounter.wrappingAdd(1, ordering: .relaxed)
        guard ownFault else { return }
        switch reason {
        case .normal, .shutdown, .shutdownWith, .killed, .noproc, .kill:
            break
        case .error, .custom:
            statistics.crashedCounter.wrappingAdd(1, ordering: .relaxed)
            let extras = process.existingExtras?.state.withLock { ($0.name, $0.parent?.serial) }
            var metadata: Logger.Metadata = [
                LogKey.process: "<0.\(process.serial).0>",
                LogKey.behavior: "\(process.behaviorName)",
                LogKey.reason: "\(reason)",
            ]
            if let name = extras?.0 { metadata[LogKey.name] = "\(name)" }
            if let parent = extras?.1 { metadata[LogKey.supervisor] = "<0.\(parent).0>" }
            logger.error("process crashed", metadata: metadata)
        }
    }

    // MARK: Shutdown

    /// Ends every process (untrappable `kill`), waits up to `timeout` for them to finish their
    /// current handler, then stops the worker threads. Call it once; later spawns throw
    /// ``SpawnError/runtimeStopped``.
    public func shutdown(timeout: Duration = .seconds(5)) {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        for process in processTable.all() {
            process.sendExit(from: ProcessID(process), reason: .kill)
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while processTable.count.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            sf_park(monitorThread.shutdownParker, 1_000_000)
        }
        monitorThread.stop()
        timers.shutdown()
        scheduler.stop()
        blockingScheduler.stop()
        for process in processTable.all() { processTable.remove(process) }
    }
}
