public import Prometheus
import Synchronization

/// Mirrors a counter that lives elsewhere (an atomic the runtime increments) into a Prometheus
/// counter, by adding the growth since the last look. Prometheus counters only go up; a source
/// that went down (a restart of the thing it counts) is taken as a fresh start.
public final class MonotonicCounterMirror: Sendable {
    private let counter: Counter
    private let lastSeen = Mutex<Int>(0)

    /// Creates (or reuses) the counter `name` in `registry`.
    public init(_ registry: PrometheusCollectorRegistry, name: String, help: String, labels: [(String, String)] = []) {
        counter = registry.siteflowCounter(name, labels: labels, help: help)
    }

    /// Records that the source now reads `value`.
    public func update(to value: Int) {
        let delta = lastSeen.withLock { last -> Int in
            let delta = value >= last ? value - last : value
            last = value
            return delta
        }
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }
}
