public import Prometheus

extension PrometheusCollectorRegistry {
    /// The gauge `name` (full metric name, e.g. `siteflow_processes`) with `labels`, created on
    /// first use and reused after.
    public func siteflowGauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    /// The counter `name` (full metric name, ending in `_total`) with `labels`, created on first
    /// use and reused after.
    public func siteflowCounter(_ name: String, labels: [(String, String)] = [], help: String) -> Counter {
        makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }
}
