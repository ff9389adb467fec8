public import Prometheus
public import SiteflowObservability

/// The chat history's metrics: `siteflow_messages_trimmed_total`, the messages the retention
/// job (``HistoryTrimJob``) deleted on this node.
public struct HistoryMetrics: MetricsSource {
    private let statistics: HistoryTrimStatistics
    private let trimmed: MonotonicCounterMirror

    /// Registers the history metrics in `registry`.
    public init(statistics: HistoryTrimStatistics, registry: PrometheusCollectorRegistry) {
        self.statistics = statistics
        trimmed = MonotonicCounterMirror(registry, name: "siteflow_messages_trimmed_total",
                                         help: "Chat messages deleted by the history retention job (keep the newest N per room, optional max age).")
    }

    public func collect(into registry: PrometheusCollectorRegistry) {
        trimmed.update(to: statistics.trimmed)
    }
}
