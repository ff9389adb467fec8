public import Prometheus
public import SiteflowRuntime

/// The process runtime's metrics: processes, run queues, throughput, utilisation and the
/// counters of spawns, exits, crashes, restarts, overflows and long-running handlers.
public struct RuntimeMetrics: MetricsSource {
    private let runtime: Runtime
    private let spawned: MonotonicCounterMirror
    private let exited: MonotonicCounterMirror
    private let crashed: MonotonicCounterMirror
    private let restarts: MonotonicCounterMirror
    private let spawnsRefused: MonotonicCounterMirror
    private let mailboxOverflows: MonotonicCounterMirror
    private let isolatedRefused: MonotonicCounterMirror
    private let longRuns: MonotonicCounterMirror
    private let messagesHandled: MonotonicCounterMirror

    /// Registers the runtime's metrics (prefix `siteflow_`) in `registry`.
    public init(runtime: Runtime, registry: PrometheusCollectorRegistry) {
        self.runtime = runtime
        spawned = MonotonicCounterMirror(registry, name: "siteflow_processes_spawned_total", help: "Processes spawned since start.")
        exited = MonotonicCounterMirror(registry, name: "siteflow_processes_exited_total", help: "Processes that ended since start.")
        crashed = MonotonicCounterMirror(registry, name: "siteflow_processes_crashed_total", help: "Processes that ended with an abnormal reason of their own.")
        restarts = MonotonicCounterMirror(registry, name: "siteflow_supervisor_restarts_total", help: "Children restarted by supervisors.")
        spawnsRefused = MonotonicCounterMirror(registry, name: "siteflow_spawns_refused_total", help: "Spawns refused at the process limit.")
        mailboxOverflows = MonotonicCounterMirror(registry, name: "siteflow_mailbox_overflows_total", help: "Messages dropped or refused by full bounded mailboxes.")
        isolatedRefused = MonotonicCounterMirror(
            registry, name: "siteflow_isolated_messages_refused_total",
            help: "Messages for isolated processes' worker OS processes refused: their queue was full, or they could not be encoded.")
        longRuns = MonotonicCounterMirror(registry, name: "siteflow_long_handlers_total", help: "Handlers that ran longer than the watchdog threshold.")
        messagesHandled = MonotonicCounterMirror(registry, name: "siteflow_messages_handled_total", help: "Messages handled by all processes.")
    }

    public func collect(into registry: PrometheusCollectorRegistry) {
        let statistics = runtime.nodeStatistics()
        registry.siteflowGauge("siteflow_processes", help: "Processes alive now.").set(Int64(statistics.processCount))
        registry.siteflowGauge("siteflow_messages_per_second", help: "Messages handled per second, recent sample.")
            .set(statistics.messagesPerSecond)
        for (index, length) in statistics.runQueueLengths.enumerated() {
            registry.siteflowGauge("siteflow_run_queue_length", labels: [("pool", "default"), ("worker", "\(index)")], help: "Processes waiting to run on a worker.")
                .set(Int64(length))
        }
        for (index, length) in statistics.blockingRunQueueLengths.enumerated() {
            registry.siteflowGauge("siteflow_run_queue_length", labels: [("pool", "blocking"), ("worker", "\(index)")], help: "Processes waiting to run on a worker.")
                .set(Int64(length))
        }
        let ordinary = statistics.runQueueLengths.count
        for (index, share) in statistics.workerUtilisation.enumerated() {
            let labels = index < ordinary ? [("pool", "default"), ("worker", "\(index)")] : [("pool", "blocking"), ("worker", "\(index - ordinary)")]
            registry.siteflowGauge("siteflow_worker_utilisation", labels: labels, help: "Fraction of time a worker was running processes (0..1).")
                .set(share)
        }
        spawned.update(to: statistics.spawned)
        exited.update(to: statistics.exited)
        crashed.update(to: statistics.crashed)
        restarts.update(to: statistics.restarts)
        spawnsRefused.update(to: statistics.spawnsRefused)
        mailboxOverflows.update(to: statistics.mailboxOverflows)
        isolatedRefused.update(to: statistics.isolatedMessagesRefused)
        longRuns.update(to: statistics.longRuns)
        messagesHandled.update(to: statistics.messagesHandled)
        registry.siteflowGauge("siteflow_resident_memory_bytes", help: "Resident memory of the node (RSS).")
            .set(Int64(OwnProcess.residentBytes()))
        registry.siteflowGauge("siteflow_heap_bytes", help: "Live heap of the node (bytes allocated and not freed).")
            .set(Int64(OwnProcess.heapBytes()))
    }
}
