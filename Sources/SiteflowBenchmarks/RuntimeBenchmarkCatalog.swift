/// The runtime benchmarks of `siteflow bench runtime`, with the same shapes and sizes as the
/// Erlang and Go anchor programs in `shared/anchors/` (see their `REPORT.md`).
///
/// Each benchmark runs the anchors once per repetition with ``RuntimeBenchmark/anchorArguments``,
/// and each of its Siteflow ``RuntimeBenchmark/variants`` once, every run in a fresh OS process.
public struct RuntimeBenchmark: Sendable, Hashable {
    /// One way Siteflow runs a benchmark (the call benchmark has three: which kind of caller).
    public struct Variant: Sendable, Hashable {
        /// The row label, e.g. `siteflow` or `siteflow (Task, global executor)`.
        public var label: String
        /// The arguments of `siteflow bench runtime-one`, e.g. `["call-global", "1000000", "2"]`.
        public var arguments: [String]
    }

    /// The name used by `--only` and in the table.
    public var name: String
    /// The arguments of the Erlang and Go anchor programs, e.g. `["ring", "10000", "1000"]`.
    public var anchorArguments: [String]
    /// The Siteflow runs compared with the anchors.
    public var variants: [Variant]
    /// The numbers compared, in table order.
    public var metrics: [BenchmarkMetric]

    /// All benchmarks, in the order they run. `scale` divides the work (10 for `--quick`);
    /// `spawnCount` overrides the number of processes of the spawn benchmark.
    public static func all(scale: Int = 1, spawnCount: Int? = nil) -> [RuntimeBenchmark] {
        let scale = max(1, scale)
        func scaled(_ value: Int) -> String { String(max(1, value / scale)) }
        let spawned = spawnCount.map(String.init) ?? scaled(1_000_000)
        let ringRounds = scaled(1000)
        let tokenHops = scaled(10_000)
        let subscribers = scaled(100_000)
        let calls = scaled(1_000_000)
        let isolatedMessages = scaled(100_000)
        return [
            RuntimeBenchmark(
                name: "spawn", anchorArguments: ["spawn", spawned],
                variants: [Variant(label: "siteflow", arguments: ["spawn", spawned])],
                metrics: [
                    BenchmarkMetric(key: "spawn_s", title: "time to spawn (s)", higherIsBetter: false),
                    BenchmarkMetric(key: "rss_per_proc", title: "RSS growth per process (B)", higherIsBetter: false),
                    BenchmarkMetric(key: "heap_per_proc", title: "heap per process (B)", higherIsBetter: false),
                    BenchmarkMetric(key: "send_exit_s", title: "1 message each + all exit (s)", higherIsBetter: false),
                ]),
            RuntimeBenchmark(
                name: "ring", anchorArguments: ["ring", "10000", ringRounds],
                variants: [Variant(label: "siteflow", arguments: ["ring", "10000", ringRounds])],
                metrics: [BenchmarkMetric(key: "hops_per_s", title: "hops/s, 1 token", higherIsBetter: true)]),
            RuntimeBenchmark(
                name: "ringmulti", anchorArguments: ["ringmulti", "10000", "1000", tokenHops],
                variants: [Variant(label: "siteflow", arguments: ["ringmulti", "10000", "1000", tokenHops])],
                metrics: [BenchmarkMetric(key: "hops_per_s", title: "hops/s, 1000 tokens", higherIsBetter: true)]),
            RuntimeBenchmark(
                name: "fanout", anchorArguments: ["fanout", subscribers, "20"],
                variants: [Variant(label: "siteflow", arguments: ["fanout", subscribers, "20"])],
                metrics: [
                    BenchmarkMetric(key: "deliveries_per_s", title: "deliveries/s", higherIsBetter: true),
                    BenchmarkMetric(key: "ms_per_broadcast", title: "ms per broadcast", higherIsBetter: false),
                ]),
            RuntimeBenchmark(
                name: "call", anchorArguments: ["call", calls, "2"],
                variants: [
                    Variant(label: "siteflow (Task on the runtime's executor)", arguments: ["call", calls, "2"]),
                    Variant(label: "siteflow (Task on the global executor)", arguments: ["call-global", calls, "2"]),
                    Variant(label: "siteflow (from an AsyncBehavior process)", arguments: ["call-process", calls, "2"]),
                ],
                metrics: [
                    BenchmarkMetric(key: "us_per_call", title: "µs per call", higherIsBetter: false),
                    BenchmarkMetric(key: "calls_per_s", title: "calls/s (2 callers)", higherIsBetter: true),
                ]),
            // Siteflow only (no anchor arguments): an isolated server against an ordinary one.
            RuntimeBenchmark(
                name: "isolated", anchorArguments: [],
                variants: [
                    Variant(label: "siteflow (ordinary process)", arguments: ["isolated", "ordinary", isolatedMessages]),
                    Variant(label: "siteflow (isolated: worker OS process)", arguments: ["isolated", "osProcess", isolatedMessages]),
                ],
                metrics: [
                    BenchmarkMetric(key: "us_per_cast", title: "µs per cast", higherIsBetter: false),
                    BenchmarkMetric(key: "us_per_call", title: "µs per call (1 caller)", higherIsBetter: false),
                ]),
        ]
    }

    /// The names accepted by `--only`.
    public static var names: [String] { all().map(\.name) }
}
