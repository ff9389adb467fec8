import CSiteflowRuntime
import Logging
import Synchronization

/// A background thread that watches the workers every 10 ms (Erlang's `long_schedule` monitor):
/// it reports handlers that run longer than the threshold, wakes an idle worker when a busy one
/// has work queued behind a long handler, and samples utilisation and message rates.
final class SchedulerMonitor: @unchecked Sendable {
    // Safe: `handle` and the sampling arrays are touched only by the monitor thread and by
    // start/stop, which are ordered by the thread start and join.

    let shutdownParker: OpaquePointer
    private let parker: OpaquePointer
    private let stopping = Atomic<Bool>(false)
    private var handle: UInt64 = 0
    private let samples = Mutex(Samples())
    static let interval: UInt64 = 10_000_000

    struct Samples {
        /// Per worker (main pool then blocking pool): fraction of samples it was running something.
        var utilisation: [Double] = []
        var messagesPerSecond: Double = 0
    }

    init() {
        guard let parker = sf_parker_new(), let shutdownParker = sf_parker_new() else {
            fatalError("Siteflow: out of memory creating the scheduler monitor")
        }
        self.parker = parker
        self.shutdownParker = shutdownParker
    }

    deinit {
        sf_parker_free(parker)
        sf_parker_free(shutdownParker)
    }

    func start(runtime: Runtime) {
        let box = Unmanaged.passRetained(MonitorStart(monitor: self, runtime: runtime))
        handle = "siteflow-watch".withCString { sf_thread_start(monitorEntry, box.toOpaque(), $0) }
        if handle == 0 {
            box.release()
            runtime.logger.error("could not start the scheduler watchdog thread; long handlers will not be reported")
        }
    }

    func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        sf_unpark(parker)
        if handle != 0 { sf_thread_join(handle) }
    }

    var snapshot: Samples { samples.withLock { $0 } }

    fileprivate func loop(runtime: Runtime) {
        struct Watch { var runs = -1; var since: UInt64 = 0; var reported = false; var busy = 0 }
        let workers = runtime.scheduler.workers + runtime.blockingScheduler.workers
        var watches = Array(repeating: Watch(), count: workers.count)
        var ticks = 0
        var lastHandled = runtime.messagesHandled
        var lastRateAt = sf_now_ns()
        while !stopping.load(ordering: .relaxed) {
            sf_park(parker, Self.interval)
            if stopping.load(ordering: .relaxed) { break }
            let now = sf_now_ns()
            ticks += 1
            for (i, worker) in workers.enumerated() {
                let current = sf_current(worker.shared)
                let runs = sf_runs(worker.shared)
                if current != 0 { watches[i].busy += 1 }
                if current == 0 || runs != watches[i].runs {
                    watches[i].runs = runs
                    watches[i].since = now
                    watches[i].reported = false
                    continue
                }
                let stuckFor = now &- watches[i].since
                // Work queued behind a long handler: let an idle sibling steal it.
                if stuckFor >= 2 * Self.interval, sf_len(worker.shared) > 0 {
                    worker.scheduler.wakeOne(preferring: nil)
                }
                let thresholdNs = worker.scheduler.configuration.longRunThreshold.clampedNanoseconds
                if !watches[i].reported, stuckFor >= thresholdNs {
                    watches[i].reported = true
                    runtime.statistics.longRunCounter.wrappingAdd(1, ordering: .relaxed)
                    let process = current == UInt64.max ? "task" : "<0.\(current).0>"
                    runtime.logger.warning(
                        "long handler: a process has held its worker past the threshold",
                        metadata: [
                            LogKey.process: "\(process)",
                            LogKey.worker: "\(worker.scheduler.configuration.name)-\(worker.index)",
                            LogKey.duration: "\(stuckFor / 1_000_000)",
                        ])
                }
            }
            if ticks >= 50 {
                let handled = runtime.messagesHandled
                let seconds = Double(now &- lastRateAt) / 1e9
                let utilisation = watches.map { Double($0.busy) / Double(ticks) }
                samples.withLock {
                    $0.utilisation = utilisation
                    $0.messagesPerSecond = seconds > 0 ? Double(handled - lastHandled) / seconds : 0
                }
                for i in watches.indices { watches[i].busy = 0 }
                ticks = 0
                lastHandled = handled
                lastRateAt = now
            }
        }
    }
}

private final class MonitorStart {
    let monitor: SchedulerMonitor
    let runtime: Runtime
    init(monitor: SchedulerMonitor, runtime: Runtime) {
        self.monitor = monitor
        self.runtime = runtime
    }
}

private func monitorEntry(_ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    let start = Unmanaged<MonitorStart>.fromOpaque(argument).takeRetainedValue()
    start.monitor.loop(runtime: start.runtime)
}
