public import Prometheus
import Synchronization

/// The node's Prometheus registry and the sources that feed it: what `/metrics` serves.
///
/// Sources are collected at each scrape, so the hot paths they measure only bump their own
/// atomics. The registry can also back swift-metrics (`PrometheusMetricsFactory(registry:)`), which
/// the executable bootstraps once per process.
public final class NodeMetrics: Sendable {
    /// The registry every source writes into.
    public let registry: PrometheusCollectorRegistry
    private let sources = Mutex<[any MetricsSource]>([])

    /// Creates an empty registry (or wraps `registry`).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Adds a source; it is collected at every later scrape.
    public func add(_ source: any MetricsSource) {
        sources.withLock { $0.append(source) }
    }

    /// Collects every source and returns the registry in the Prometheus text format (0.0.4).
    public func scrape() -> [UInt8] {
        let current = sources.withLock { $0 }
        for source in current { source.collect(into: registry) }
        return registry.emitToBuffer()
    }

    /// The content type of ``scrape()``'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
