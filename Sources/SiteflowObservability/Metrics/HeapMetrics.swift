public import Prometheus
public import SiteflowRuntime

/// The C heap's metrics: `siteflow_heap_free_bytes` (free memory malloc holds), and the
/// ``HeapTrimmer``'s `siteflow_heap_trims_total` and `siteflow_heap_trimmed_bytes_total`.
public struct HeapMetrics: MetricsSource {
    private let trimmer: HeapTrimmer
    private let trims: MonotonicCounterMirror
    private let trimmed: MonotonicCounterMirror

    /// Registers the heap metrics in `registry`.
    public init(trimmer: HeapTrimmer, registry: PrometheusCollectorRegistry) {
        self.trimmer = trimmer
        trims = MonotonicCounterMirror(registry, name: "siteflow_heap_trims_total",
                                       help: "Times the node gave free C heap back to the system after a burst.")
        trimmed = MonotonicCounterMirror(registry, name: "siteflow_heap_trimmed_bytes_total",
                                         help: "Resident bytes the heap trims gave back to the system.")
    }

    public func collect(into registry: PrometheusCollectorRegistry) {
        registry.siteflowGauge("siteflow_heap_free_bytes", help: "Free memory held by malloc's arenas (a trim can give it back).")
            .set(Int64(HeapTrimmer.freeBytes))
        trims.update(to: trimmer.trims)
        trimmed.update(to: trimmer.releasedBytes)
    }
}
