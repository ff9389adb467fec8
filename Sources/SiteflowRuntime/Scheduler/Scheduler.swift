import CSiteflowRuntime
import Synchronization

/// A pool of worker threads that run processes only when they have messages, and that also serve
/// as a Swift `TaskExecutor` so async handlers and `await call` run on the same threads.
///
/// One scheduler runs the ordinary processes (one worker per core); a second one runs processes
/// spawned with ``SpawnOptions/blocking`` (Erlang's dirty schedulers).
public final class Scheduler: @unchecked Sendable {
    // Safe: `workers` and `threadHandles` are written once in `start()` before any worker runs and
    // only read afterwards; everything else is atomic or immutable.

    /// The configuration the scheduler was started with.
    public let configuration: SchedulerConfiguration
    private(set) var workers: [Worker] = []
    /// The same workers, unretained, for the hot paths (an array read retains its buffer and the
    /// element); written once in `start()`, freed in `deinit`.
    @exclusivity(unchecked) private var workerTable = UnsafeMutableBufferPointer<Unmanaged<Worker>>(start: nil, count: 0)
    private var threadHandles: [UInt64] = []
    let idleCount = Atomic<Int>(0)
    private let roundRobin = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    let smallDepot = NodeDepot()
    let largeDepot = NodeDepot()
    /// Handlers that ran past the long-run threshold (counted by the watchdog).
    let longRuns = Atomic<Int>(0)

    init(configuration: SchedulerConfiguration) {
        self.configuration = configuration
    }

    deinit {
        workerTable.deallocate()
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Starts the worker threads; call once.
    func start() {
        let table = UnsafeMutableBufferPointer<Unmanaged<Worker>>.allocate(capacity: configuration.threads)
        workers = (0..<configuration.threads).map { Worker(index: $0, scheduler: self, siblings: UnsafeBufferPointer(table)) }
        for (index, worker) in workers.enumerated() { table.initializeElement(at: index, to: .passUnretained(worker)) }
        workerTable = table
        for worker in workers {
            let box = Unmanaged.passRetained(WorkerStart(scheduler: self, worker: worker))
            let name = "\(configuration.name.prefix(10))-\(worker.index)"
            let handle = name.withCString { sf_thread_start(workerThreadEntry, box.toOpaque(), $0) }
            if handle == 0 {
                box.release()
                fatalError("Siteflow: could not start scheduler thread \(name)")
            }
            threadHandles.append(handle)
        }
    }

    /// Stops every worker after its current run and joins the threads.
    func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        for worker in workers { sf_unpark(worker.parker) }
        for handle in threadHandles { sf_thread_join(handle) }
    }

    /// Queues a run-queue entry: on the current worker's LIFO slot when called from one of this
    /// scheduler's workers, otherwise round-robin on a worker, waking it if it is parked.
    @inline(__always)
    func schedule(_ entry: UInt) {
        if let raw = sf_current_worker() {
            let handled = Unmanaged<Worker>.fromOpaque(raw)._withUnsafeGuaranteedRef { worker -> Bool in
                guard worker.schedulerReference.toOpaque() == Unmanaged.passUnretained(self).toOpaque() else { return false }
                worker.scheduleFromOwner(entry)
                return true
            }
            if handled { return }
        }
        let target = workerTable[roundRobin.add(1, ordering: .relaxed).newValue % workerTable.count]
        target._withUnsafeGuaranteedRef { worker in
            worker.pushLocal(entry)
            wakeOne(preferring: worker)
        }
    }

    @inline(__always)
    func wakeOne(preferring preferred: Worker?) {
        if idleCount.load(ordering: .sequentiallyConsistent) == 0 { return }
        wakeSlow(preferring: preferred)
    }

    private func wakeSlow(preferring preferred: Worker?) {
        if let preferred, sf_clear_idle(preferred.shared) != 0 {
            idleCount.subtract(1, ordering: .sequentiallyConsistent)
            sf_unpark(preferred.parker)
            return
        }
        for worker in workerTable {
            let woken = worker._withUnsafeGuaranteedRef { worker -> Bool in
                guard sf_clear_idle(worker.shared) != 0 else { return false }
                idleCount.subtract(1, ordering: .sequentiallyConsistent)
                sf_unpark(worker.parker)
                return true
            }
            if woken { return }
        }
    }

    /// Run-queue lengths per worker (racy snapshot).
    public var runQueueLengths: [Int] { workers.map(\.queueLength) }

    /// Number of worker threads.
    public var workerCount: Int { workers.count }
}

extension Scheduler: TaskExecutor {
    /// Runs a Swift job on one of the workers (LIFO slot when enqueued from a worker).
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        schedule(unsafeBitCast(unowned, to: UInt.self) | 1)
    }
}

/// What a new worker thread needs; the thread owns a +1 on it (and so on the scheduler).
private final class WorkerStart {
    let scheduler: Scheduler
    let worker: Worker
    init(scheduler: Scheduler, worker: Worker) {
        self.scheduler = scheduler
        self.worker = worker
    }
}

private func workerThreadEntry(_ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    let start = Unmanaged<WorkerStart>.fromOpaque(argument).takeRetainedValue()
    start.worker.loop()
}
