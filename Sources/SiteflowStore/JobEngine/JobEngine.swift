import Foundation
public import SiteflowRuntime
public import Logging
import Synchronization

/// Runs durable jobs from a ``JobStore`` on this node — what Oban does for Elixir.
///
/// Each ``tick()`` (``start()`` starts a ``JobTicker`` process that ticks every
/// ``JobEngineConfiguration/pollInterval`` on the runtime's timers):
/// 1. extends the leases of the jobs this node runs (heartbeat);
/// 2. enqueues cron jobs whose fire time has come (one per fire time across all nodes);
/// 3. prunes old finished jobs;
/// 4. claims due jobs for each queue up to its free concurrency and runs each attempt in its own
///    process under a dynamic supervisor.
///
/// Guarantees: a job that returns is marked completed; one that throws or crashes has its error
/// recorded and is retried with ``RetryBackoff`` until its `maxAttempts`, then discarded. A job
/// whose node dies is run again once its lease expires (at least once). All times come from the
/// store's injected clock.
public final class JobEngine: Sendable {
    /// The store jobs are claimed from.
    public let store: any JobStore
    /// The runtime the job processes run on.
    public let runtime: Runtime
    /// The engine's settings.
    public let configuration: JobEngineConfiguration
    private let workers: JobWorkers
    private let clock: any RuntimeClock
    private let logger: Logger

    private struct State: ~Copyable {
        var running: [Int64: JobLease] = [:]
        var runningPerQueue: [String: Int] = [:]
        /// How to stop each running attempt, by job id (at a drain's deadline).
        var cancellations: [Int64: JobCancellation] = [:]
        var idleWaiters: [@Sendable () -> Void] = []
        var lastHeartbeat: Date?
        var cronCheckedUntil: Date
        var lastPrune: Date?
        var supervisor: DynamicSupervisorRef?
        var ticker: ServerRef<JobTicker>?
        /// Successful attempts waiting to be recorded together (group commit of completions).
        var completions: [(JobLease, String)] = []
        var flushingCompletions = false
    }

    private let state: Mutex<State>

    /// Creates an engine; nothing runs until ``tick()`` or ``start()``.
    public init(store: any JobStore, runtime: Runtime, workers: JobWorkers, configuration: JobEngineConfiguration = JobEngineConfiguration(), logger: Logger = Logger(label: "siteflow.jobs")) {
        self.store = store
        self.runtime = runtime
        self.workers = workers
        self.configuration = configuration
        self.clock = store.clock
        self.logger = logger
        self.state = Mutex(State(cronCheckedUntil: store.clock.date()))
    }

    /// This node's name.
    public var node: String { configuration.node }

    /// How many jobs of `queue` (all queues if nil) this node is running now.
    public func runningCount(queue: String? = nil) -> Int {
        state.withLock { state in
            if let queue { return state.runningPerQueue[queue] ?? 0 }
            return state.running.count
        }
    }

    /// Starts polling: the job supervisor, then a ``JobTicker`` process that ticks at once and
    /// then every ``JobEngineConfiguration/pollInterval``. Calling it again while started does
    /// nothing.
    public func start() async throws {
        _ = try await supervisor()
        guard state.withLock({ $0.ticker == nil }) else { return }
        let ticker = try await JobTicker.start(
            JobTicker(engine: self, interval: configuration.pollInterval, logger: logger), runtime: runtime)
        let loser = state.withLock { state -> ServerRef<JobTicker>? in
            if state.ticker != nil { return ticker }
            state.ticker = ticker
            return nil
        }
        if let loser { try? await loser.call(.stop, timeout: nil) }
    }

    /// The restart intensity of the job supervisor: at most 10 restarts in 10 seconds. Its
    /// children (one per attempt) are `temporary` — a failed attempt is retried by the engine,
    /// through the store, with ``RetryBackoff`` — so the supervisor itself never restarts one;
    /// the bound is a real guard instead of OTP's intensity turned off, should a restartable
    /// child ever be added.
    public static let jobSupervisorIntensity = RestartIntensity(maxRestarts: 10, period: .seconds(10))

    /// The child specifications that run this engine under a supervisor, in start order: the
    /// job supervisor (`jobs`, a ``DynamicSupervisor`` registered as `name.supervisor`) and the
    /// ticker (`job_ticker`, registered as `name.ticker`). Use them instead of ``start()``.
    ///
    /// Both are `transient`: ``stop()`` ends them in an orderly way and they stay down; killed
    /// or crashed, each is started again and the engine uses the new process at once (the
    /// ticker ticks at once; a killed job supervisor takes its running attempts with it — they
    /// are recorded as failed and retried).
    public func childSpecs(name: String = "siteflow.jobs") -> [ChildSpec] {
        let supervisor = ChildSpec(id: "job_supervisor", restart: .transient, type: .supervisor) { [self] context in
            let started = try await DynamicSupervisor.start(
                runtime: context.runtime, intensity: Self.jobSupervisorIntensity,
                options: context.spawnOptions(basedOn: SpawnOptions(name: "\(name).supervisor")))
            state.withLock { $0.supervisor = started }
            return started.id
        }
        let ticker = ChildSpec(id: "job_ticker", restart: .transient) { [self] context in
            let started = try await JobTicker.start(
                JobTicker(engine: self, interval: configuration.pollInterval, logger: logger), runtime: context.runtime,
                options: context.spawnOptions(basedOn: SpawnOptions(name: "\(name).ticker")))
            state.withLock { $0.ticker = started }
            return started.id
        }
        return [supervisor, ticker]
    }

    /// Stops polling, waits for running jobs to finish and their results to be recorded, then
    /// stops the job supervisor.
    ///
    /// With a `deadline`, running jobs get that long to finish. The attempts still running then
    /// are cancelled (a job that awaits — a sleep, a store call — ends at once; one that never
    /// suspends runs to its end), recorded as failed ("stopped at the node's drain deadline"),
    /// and retried with backoff like any failed attempt, by this node or another. Without one,
    /// it waits for as long as they run.
    public func stop(deadline: Duration? = nil) async {
        let ticker = state.withLock { state -> ServerRef<JobTicker>? in
            let ticker = state.ticker
            state.ticker = nil
            return ticker
        }
        // Answered once the tick in progress has ended; fails at once if the ticker is gone.
        try? await ticker?.call(.stop, timeout: nil)
        if let deadline, await !waitUntilIdle(within: deadline) {
            let interrupted = state.withLock { state in state.cancellations }
            logger.warning(
                "jobs still running at the drain deadline were stopped; each is recorded as failed and retried",
                metadata: [LogKey.job: "\(interrupted.keys.sorted())", LogKey.duration: "\(deadline.clampedNanoseconds / 1_000_000)"])
            for cancellation in interrupted.values { cancellation.cancel() }
        }
        await waitUntilIdle()
        let supervisor = state.withLock { state -> DynamicSupervisorRef? in
            let supervisor = state.supervisor
            state.supervisor = nil
            return supervisor
        }
        _ = await supervisor?.stop(reason: .shutdown)
    }

    /// Waits until no job runs on this node and every finished attempt is recorded in the store.
    public func waitUntilIdle() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.running.isEmpty { return true }
                state.idleWaiters.append { waiter.resume() }
                return false
            }
            if idle { waiter.resume() }
        }
    }

    /// Waits until no job runs on this node (as ``waitUntilIdle()``) or `timeout` has passed on
    /// the runtime's timers, whichever comes first.
    /// - Returns: Whether the engine became idle in time.
    public func waitUntilIdle(within timeout: Duration) async -> Bool {
        await withCheckedContinuation { (waiter: CheckedContinuation<Bool, Never>) in
            let answer = FirstAnswer(waiter)
            let idle = state.withLock { state -> Bool in
                if state.running.isEmpty { return true }
                state.idleWaiters.append { answer.resume(true) }
                return false
            }
            if idle {
                answer.resume(true)
            } else {
                runtime.timers.schedule(after: timeout) { answer.resume(false) }
            }
        }
    }

    private func supervisor() async throws(SupervisorError) -> DynamicSupervisorRef {
        if let existing = state.withLock({ $0.supervisor }) { return existing }
        let started = try await DynamicSupervisor.start(runtime: runtime, intensity: Self.jobSupervisorIntensity)
        let (winner, loser) = state.withLock { state -> (DynamicSupervisorRef, DynamicSupervisorRef?) in
            if let existing = state.supervisor { return (existing, started) }
            state.supervisor = started
            return (started, nil)
        }
        if let loser { _ = await loser.stop() }
        return winner
    }

    /// One round of heartbeats, cron, pruning and claims (see the type's description).
    /// - Returns: The jobs started in this round.
    @discardableResult
    public func tick() async throws -> [JobRecord] {
        let now = clock.date()
        try await heartbeat(now: now)
        try await enqueueCron(now: now)
        try await prune(now: now)
        let supervisor = try await supervisor()
        var started: [JobRecord] = []
        for queue in configuration.queues {
            let free = state.withLock { queue.concurrency - ($0.runningPerQueue[queue.name] ?? 0) }
            guard free > 0 else { continue }
            let claimed = try await store.claimJobs(
                queue: queue.name, limit: free, node: node, now: now,
                leaseUntil: now.addingTimeInterval(configuration.leaseDuration.timeInterval))
            state.withLock { state in
                for job in claimed {
                    state.running[job.id] = job.lease
                    state.runningPerQueue[job.queue, default: 0] += 1
                }
            }
            for job in claimed { await launch(job, supervisor: supervisor) }
            started += claimed
        }
        return started
    }

    private func heartbeat(now: Date) async throws {
        let leases = state.withLock { state -> [JobLease] in
            if let last = state.lastHeartbeat, now.timeIntervalSince(last) < configuration.heartbeatInterval.timeInterval {
                return []
            }
            state.lastHeartbeat = now
            return Array(state.running.values)
        }
        guard !leases.isEmpty else { return }
        _ = try await store.extendLeases(leases, until: now.addingTimeInterval(configuration.leaseDuration.timeInterval))
    }

    private func enqueueCron(now: Date) async throws {
        guard !configuration.cron.isEmpty else { return }
        let from = state.withLock { $0.cronCheckedUntil }
        guard now > from else { return }
        var transaction = StoreTransaction(limits: store.limits)
        for schedule in configuration.cron {
            var cursor = from
            var fired = 0
            while fired < 1000, let fire = schedule.expression.nextFire(after: cursor), fire <= now {
                var job = schedule.job
                job.runAt = fire
                job.unique = JobUniqueness(key: "cron:\(schedule.name):\(fire.storeMicros)", period: .seconds(48 * 3600))
                transaction.enqueue(job)
                cursor = fire
                fired += 1
            }
        }
        if !transaction.isEmpty { _ = try await store.commit(transaction) }
        state.withLock { $0.cronCheckedUntil = now }
    }

    private func prune(now: Date) async throws {
        guard let after = configuration.pruneAfter else { return }
        let due = state.withLock { state -> Bool in
            if let last = state.lastPrune, now.timeIntervalSince(last) < configuration.pruneInterval.timeInterval { return false }
            state.lastPrune = now
            return true
        }
        guard due else { return }
        _ = try await store.pruneJobs(finishedBefore: now.addingTimeInterval(-after.timeInterval))
    }

    private func launch(_ job: JobRecord, supervisor: DynamicSupervisorRef) async {
        guard let perform = workers.performers[job.kind] else {
            await finished(job.lease, queue: job.queue, failure: "no worker is registered for job kind '\(job.kind)' on node \(node)", maxAttempts: job.maxAttempts)
            return
        }
        let lease = job.lease
        let spec = ChildSpec(id: "job:\(job.id)", restart: .temporary, shutdown: .timeout(.seconds(30))) { [self] context in
            let cancellation = JobCancellation()
            state.withLock { $0.cancellations[job.id] = cancellation }
            let pid = try context.runtime.spawn(
                JobProcess(record: job, perform: perform, cancellation: cancellation), options: context.spawnOptions(basedOn: .default))
            context.runtime.onExit(of: pid.id) { [self] _, reason in
                let failure: String? = reason.isNormal ? nil : Self.describe(reason)
                Task { await self.finished(lease, queue: job.queue, failure: failure, maxAttempts: job.maxAttempts) }
            }
            _ = pid.send(.run)
            return pid.id
        }
        do {
            _ = try await supervisor.startChild(spec)
        } catch {
            await finished(lease, queue: job.queue, failure: "the job process could not start: \(error)", maxAttempts: job.maxAttempts)
        }
    }

    private static func describe(_ reason: ExitReason) -> String {
        if case .error(let error) = reason { return String(describing: error) }
        return "process exited: \(reason)"
    }

    /// Records an attempt's outcome, then releases its concurrency slot. Completions are
    /// recorded in batches: those that arrive while one batch commits go together in the next.
    private func finished(_ lease: JobLease, queue: String, failure: String?, maxAttempts: Int) async {
        guard let failure else {
            let flush = state.withLock { state -> Bool in
                state.completions.append((lease, queue))
                if state.flushingCompletions { return false }
                state.flushingCompletions = true
                return true
            }
            if flush { await flushCompletions() }
            return
        }
        let now = clock.date()
        let retryAt: Date? =
            lease.attempt < maxAttempts
            ? now.addingTimeInterval(configuration.backoff.delay(afterAttempt: lease.attempt, random: configuration.random()).timeInterval)
            : nil
        do {
            _ = try await store.failJob(lease, error: failure, at: now, retryAt: retryAt)
        } catch {
            logNotRecorded(lease, error)
        }
        release([(lease, queue)])
    }

    private func flushCompletions() async {
        while true {
            let batch = state.withLock { state -> [(JobLease, String)] in
                let batch = state.completions
                state.completions = []
                if batch.isEmpty { state.flushingCompletions = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                _ = try await store.completeJobs(batch.map(\.0), at: clock.date())
            } catch {
                for (lease, _) in batch { logNotRecorded(lease, error) }
            }
            release(batch)
        }
    }

    private func logNotRecorded(_ lease: JobLease, _ error: any Error) {
        // The lease stays in the store; when it expires the job is rescued and run again.
        logger.error(
            "could not record a job attempt; it will run again after its lease expires",
            metadata: [LogKey.job: "\(lease.jobID)", LogKey.attempt: "\(lease.attempt)", LogKey.error: "\(error)"])
    }

    private func release(_ finished: [(JobLease, String)]) {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            for (lease, queue) in finished where state.running.removeValue(forKey: lease.jobID) != nil {
                state.runningPerQueue[queue, default: 1] -= 1
                state.cancellations[lease.jobID] = nil
            }
            guard state.running.isEmpty else { return [] }
            let waiters = state.idleWaiters
            state.idleWaiters = []
            return waiters
        }
        for waiter in waiters { waiter() }
    }
}

/// Resumes a continuation with the first of several answers (the engine went idle, or a deadline
/// passed); later answers are ignored.
private final class FirstAnswer: Sendable {
    private let waiter: Mutex<CheckedContinuation<Bool, Never>?>

    init(_ waiter: CheckedContinuation<Bool, Never>) { self.waiter = Mutex(waiter) }

    func resume(_ value: Bool) {
        waiter.withLock { waiter in
            let taken = waiter
            waiter = nil
            return taken
        }?.resume(returning: value)
    }
}
