/// One number a benchmark reports (a key of its `RESULT` line) and how to read it.
public struct BenchmarkMetric: Sendable, Hashable {
    /// The key in the `RESULT` line, e.g. `hops_per_s`.
    public var key: String
    /// A short human name with its unit, e.g. `hops/s`.
    public var title: String
    /// Whether a larger value is better (throughput) or worse (time, bytes).
    public var higherIsBetter: Bool

    /// Creates a metric; see each property.
    public init(key: String, title: String, higherIsBetter: Bool) {
        self.key = key
        self.title = title
        self.higherIsBetter = higherIsBetter
    }
}
