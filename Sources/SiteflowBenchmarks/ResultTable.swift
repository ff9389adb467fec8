/// The runs of a benchmark sitting, and the table made of them: per benchmark, implementation and
/// metric, the median, the spread (min..max) and the ratios of Siteflow's median to Erlang's and
/// to Go's.
///
/// Ratios are always *Siteflow ÷ anchor*, whatever the metric, as in the anchors' report: for
/// throughput a ratio above 1 is better than the anchor, for times and bytes one below 1 is.
public struct ResultTable: Sendable {
    /// The median, spread and count of one metric's runs.
    public struct Summary: Sendable, Hashable {
        /// The median (the mean of the two middle values for an even count).
        public var median: Double
        /// The smallest value.
        public var minimum: Double
        /// The largest value.
        public var maximum: Double
        /// Runs that reported the metric.
        public var runs: Int

        /// Summarises `values`; nil when there are none.
        public init?(_ values: [Double]) {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            let middle = sorted.count / 2
            median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            minimum = sorted[0]
            maximum = sorted[sorted.count - 1]
            runs = sorted.count
        }
    }

    private struct Key: Hashable {
        var benchmark: String
        var implementation: String
    }

    /// The implementation labels of the anchors, as recorded.
    public static let erlang = "erlang"
    /// See ``erlang``.
    public static let go = "go"

    private var results: [Key: [BenchmarkResult]] = [:]
    private var failures: [Key: Int] = [:]

    /// Creates an empty table.
    public init() {}

    /// Records one successful run of `implementation` (a label such as `erlang`, `go` or a
    /// Siteflow variant's label).
    public mutating func record(_ result: BenchmarkResult, benchmark: String, implementation: String) {
        results[Key(benchmark: benchmark, implementation: implementation), default: []].append(result)
    }

    /// Records a run that failed or timed out.
    public mutating func recordFailure(benchmark: String, implementation: String) {
        failures[Key(benchmark: benchmark, implementation: implementation), default: 0] += 1
    }

    /// The summary of `metric` over the recorded runs; nil if no run reported it.
    public func summary(benchmark: String, implementation: String, metric: String) -> Summary? {
        let runs = results[Key(benchmark: benchmark, implementation: implementation)] ?? []
        return Summary(runs.compactMap { $0.values[metric] })
    }

    /// Failed runs of one implementation.
    public func failureCount(benchmark: String, implementation: String) -> Int {
        failures[Key(benchmark: benchmark, implementation: implementation)] ?? 0
    }

    /// `value ÷ base`, or nil when either is missing or the base is zero.
    public static func ratio(_ value: Summary?, to base: Summary?) -> Double? {
        guard let value, let base, base.median != 0 else { return nil }
        return value.median / base.median
    }

    /// The Markdown table: one row per benchmark, metric and Siteflow variant, with the anchors'
    /// medians beside it.
    public func markdown(for benchmarks: [RuntimeBenchmark]) -> String {
        var lines = [
            "| benchmark | metric | better | Siteflow median (min..max) | Erlang median (min..max) | Go median (min..max) | Siteflow ÷ Erlang | Siteflow ÷ Go |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for benchmark in benchmarks {
            for metric in benchmark.metrics {
                let erlang = summary(benchmark: benchmark.name, implementation: Self.erlang, metric: metric.key)
                let go = summary(benchmark: benchmark.name, implementation: Self.go, metric: metric.key)
                for variant in benchmark.variants {
                    let siteflow = summary(benchmark: benchmark.name, implementation: variant.label, metric: metric.key)
                    let name = benchmark.variants.count > 1 ? "\(benchmark.name): \(variant.label)" : benchmark.name
                    let cells = [
                        name, metric.title, metric.higherIsBetter ? "higher" : "lower",
                        cell(siteflow, benchmark: benchmark.name, implementation: variant.label),
                        cell(erlang, benchmark: benchmark.name, implementation: Self.erlang),
                        cell(go, benchmark: benchmark.name, implementation: Self.go),
                        Self.ratio(siteflow, to: erlang).map(Self.formatRatio) ?? "–",
                        Self.ratio(siteflow, to: go).map(Self.formatRatio) ?? "–",
                    ]
                    lines.append("| " + cells.joined(separator: " | ") + " |")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    private func cell(_ summary: Summary?, benchmark: String, implementation: String) -> String {
        let failed = failureCount(benchmark: benchmark, implementation: implementation)
        let failedNote = failed > 0 ? " +\(failed) failed" : ""
        guard let summary else { return failed > 0 ? "failed ×\(failed)" : "–" }
        if summary.runs == 1 { return Self.format(summary.median) + failedNote }
        return "\(Self.format(summary.median)) (\(Self.format(summary.minimum))..\(Self.format(summary.maximum)))" + failedNote
    }

    /// Formats a measured value compactly: `24.88M`, `624k`, `136`, `0.151`.
    public static func format(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e6 { return fixed(value / 1e6, decimals: 2) + "M" }
        if magnitude >= 1e4 { return fixed(value / 1e3, decimals: 0) + "k" }
        if magnitude >= 100 { return fixed(value, decimals: 0) }
        return significant(value, digits: 3)
    }

    /// Formats a ratio with 3 significant digits: `14.4`, `0.0124`.
    public static func formatRatio(_ value: Double) -> String {
        significant(value, digits: 3)
    }

    static func significant(_ value: Double, digits: Int) -> String {
        guard value != 0, value.isFinite else { return value.isFinite ? "0" : "\(value)" }
        let exponent = decimalExponent(abs(value))
        let decimals = max(0, digits - 1 - exponent)
        return fixed(value, decimals: decimals)
    }

    static func fixed(_ value: Double, decimals: Int) -> String {
        var power = 1.0
        for _ in 0..<decimals { power *= 10 }
        let scaled = (abs(value) * power).rounded()
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard scaled < 9e18 else { return "\(value)" }
        let whole = UInt64(scaled)
        let divisor = UInt64(power)
        guard decimals > 0 else { return sign + String(whole) }
        let fraction = String(whole % divisor)
        return sign + String(whole / divisor) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// The power of ten of a positive value's leading digit (`floor(log10(value))`).
    private static func decimalExponent(_ value: Double) -> Int {
        var exponent = 0
        var remaining = value
        while remaining >= 10 { remaining /= 10; exponent += 1 }
        while remaining < 1 { remaining *= 10; exponent -= 1 }
        return exponent
    }
}
