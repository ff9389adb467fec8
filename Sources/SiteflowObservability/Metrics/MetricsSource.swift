public import Prometheus

/// Something that contributes metrics to the node's Prometheus registry (the runtime, the
/// socket layer, the store). ``NodeMetrics`` calls `collect` before every scrape, so sources that
/// keep plain atomic counters copy them into the registry only when someone asks.
public protocol MetricsSource: Sendable {
    /// Brings this source's metrics in `registry` up to date. Called on the scraping thread; must
    /// be quick and must not block.
    func collect(into registry: PrometheusCollectorRegistry)
}
