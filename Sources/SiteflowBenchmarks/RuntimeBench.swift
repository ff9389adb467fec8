import CSiteflowRuntime
import SiteflowRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `siteflow bench runtime`: runs every runtime benchmark for Siteflow and for the Erlang and Go
/// anchor programs, interleaved, and prints the medians and ratios as a Markdown table.
///
/// Each repetition runs every benchmark once per implementation, rotating the order of the
/// implementations from one repetition to the next (A B C, B C A, …) as the anchors' `run_all.sh`
/// does, so slow drifts of a shared machine spread over all of them. Every run is a fresh OS
/// process (Siteflow re-executes this binary as `siteflow bench runtime-one …`) capped by
/// ``Options/timeout``. Progress goes to standard error; the table to standard output.
public struct RuntimeBench: Sendable {
    /// What to run and how.
    public struct Options: Sendable {
        /// Runs of each benchmark per implementation; the table shows their median.
        public var repetitions: Int
        /// Divides the work by 10 (a smoke run of a minute or two).
        public var quick: Bool
        /// Benchmarks to run (``RuntimeBenchmark/names``); nil for all.
        public var only: [String]?
        /// Implementations to run (`siteflow`, `erlang`, `go`); nil for all that are available.
        public var implementations: [String]?
        /// The anchors' folder; nil to look for `<package>/../shared/anchors`.
        public var anchorsPath: String?
        /// The limit for one run; a run past it is killed and counted as failed.
        public var timeout: Duration
        /// Processes of the spawn benchmark (default 1,000,000, or 100,000 with ``quick``).
        public var spawnCount: Int?
        /// A file to append one tab-separated line per run to (time, repetition, benchmark,
        /// implementation, wall seconds, the `RESULT` line), like the anchors' `raw.tsv`.
        public var rawOutputPath: String?

        /// Creates options; see each property.
        public init(
            repetitions: Int = 3, quick: Bool = false, only: [String]? = nil, implementations: [String]? = nil,
            anchorsPath: String? = nil, timeout: Duration = .seconds(150), spawnCount: Int? = nil,
            rawOutputPath: String? = nil
        ) {
            self.repetitions = repetitions
            self.quick = quick
            self.only = only
            self.implementations = implementations
            self.anchorsPath = anchorsPath
            self.timeout = timeout
            self.spawnCount = spawnCount
            self.rawOutputPath = rawOutputPath
        }
    }

    /// The label of Siteflow runs in `--implementations`.
    public static let siteflow = "siteflow"

    /// The options this sitting runs with.
    public var options: Options

    /// Creates a sitting with `options`.
    public init(options: Options) {
        self.options = options
    }

    /// One run to make: a label and the program with its arguments.
    struct PlannedRun: Sendable {
        var benchmark: String
        var implementation: String
        var executable: String
        var arguments: [String]
    }

    /// Runs the sitting and returns the report (header and table).
    /// - Throws: ``BenchmarkError`` for unknown benchmark or implementation names, or when this
    ///   executable's own path cannot be found.
    public func run() throws -> String {
        let benchmarks = try selectedBenchmarks()
        let wanted = try selectedImplementations()
        guard let executable = OwnProcess.executablePath() else {
            throw BenchmarkError("cannot find this executable's path (/proc/self/exe) to start Siteflow runs")
        }
        let machine = MachineDescription.current()
        var notes: [String] = []
        #if DEBUG
        notes.append("warning: this is a debug build; measure with `swift run -c release siteflow bench runtime`")
        #endif
        let anchors = prepareAnchors(wanted: wanted, notes: &notes)
        for note in notes { TextFile.writeToStandardError(note + "\n") }

        var plan: [[PlannedRun]] = []
        for benchmark in benchmarks {
            // A benchmark without anchor arguments is Siteflow's alone.
            var runs = benchmark.anchorArguments.isEmpty ? [] : anchors.anchors.map {
                PlannedRun(
                    benchmark: benchmark.name, implementation: $0.label, executable: $0.executable,
                    arguments: $0.arguments(for: benchmark.anchorArguments))
            }
            if wanted.contains(Self.siteflow) {
                runs += benchmark.variants.map {
                    PlannedRun(
                        benchmark: benchmark.name, implementation: $0.label, executable: executable,
                        arguments: ["bench", "runtime-one"] + $0.arguments)
                }
            }
            plan.append(runs)
        }

        let repetitions = max(1, options.repetitions)
        let total = repetitions * plan.reduce(0) { $0 + $1.count }
        var table = ResultTable()
        var done = 0
        let started = Stopwatch()
        let loadBefore = MachineDescription.loadAverage()
        for repetition in 0..<repetitions {
            for runs in plan where !runs.isEmpty {
                for offset in 0..<runs.count {
                    let planned = runs[(offset + repetition) % runs.count]
                    done += 1
                    TextFile.writeToStandardError(
                        "[\(done)/\(total)] repetition \(repetition + 1)/\(repetitions) \(planned.benchmark) \(planned.implementation) … ")
                    let outcome = ChildProcess.run(planned.executable, arguments: planned.arguments, timeout: options.timeout)
                    let wall = ResultTable.fixed(outcome.seconds, decimals: 1)
                    if outcome.succeeded, let result = BenchmarkResult.last(in: outcome.standardOutput) {
                        table.record(result, benchmark: planned.benchmark, implementation: planned.implementation)
                        TextFile.writeToStandardError("\(wall) s\n    \(result.line)\n")
                        appendRaw(repetition: repetition + 1, run: planned, wall: wall, result: result.line)
                    } else {
                        table.recordFailure(benchmark: planned.benchmark, implementation: planned.implementation)
                        let detail = lastLines(outcome.standardError + outcome.standardOutput, count: 5)
                        TextFile.writeToStandardError("FAILED (\(outcome.status), \(wall) s)\n\(detail)\n")
                        appendRaw(
                            repetition: repetition + 1, run: planned, wall: wall,
                            result: "RESULT failed status=" + String(describing: outcome.status).replacingSpaces())
                    }
                }
            }
        }

        var report = [
            "Siteflow runtime benchmarks: \(repetitions) repetition(s)\(options.quick ? ", quick sizes (÷10)" : ""), "
                + "every run in a fresh OS process, at most \(options.timeout) each, order rotated per repetition.",
            "Machine: \(machine.summary) (load before \(loadBefore), after \(MachineDescription.loadAverage())).",
        ]
        for anchor in anchors.anchors { report.append("Anchor \(anchor.label): \(anchor.version)") }
        report += notes
        report.append("Wall time: \(ResultTable.fixed(started.seconds, decimals: 0)) s. Ratios are Siteflow ÷ anchor, of the medians.")
        report.append("")
        report.append(table.markdown(for: benchmarks))
        return report.joined(separator: "\n") + "\n"
    }

    private func selectedBenchmarks() throws -> [RuntimeBenchmark] {
        let all = RuntimeBenchmark.all(scale: options.quick ? 10 : 1, spawnCount: options.spawnCount)
        guard let only = options.only else { return all }
        let unknown = only.filter { name in !all.contains { $0.name == name } }
        if !unknown.isEmpty {
            throw BenchmarkError(
                "unknown benchmark(s) \(unknown.joined(separator: ", ")); known: \(RuntimeBenchmark.names.joined(separator: ", "))")
        }
        return all.filter { only.contains($0.name) }
    }

    private func selectedImplementations() throws -> Set<String> {
        let known: Set<String> = [Self.siteflow, ResultTable.erlang, ResultTable.go]
        guard let implementations = options.implementations else { return known }
        let unknown = implementations.filter { !known.contains($0) }
        if !unknown.isEmpty {
            throw BenchmarkError("unknown implementation(s) \(unknown.joined(separator: ", ")); known: siteflow, erlang, go")
        }
        return Set(implementations)
    }

    private func prepareAnchors(wanted: Set<String>, notes: inout [String]) -> AnchorRunner {
        let anchorLabels = wanted.subtracting([Self.siteflow])
        guard !anchorLabels.isEmpty else { return AnchorRunner(directory: "", anchors: [], notes: []) }
        guard let directory = AnchorRunner.locate(override: options.anchorsPath) else {
            notes.append(
                "anchors not found (\(options.anchorsPath ?? "<package>/../shared/anchors")): Siteflow runs only; pass --anchors PATH")
            return AnchorRunner(directory: "", anchors: [], notes: [])
        }
        let cache = PackageLocation.packageRoot().map { $0 + "/.build/bench-anchors" } ?? "/tmp/siteflow-bench-anchors-\(getuid())"
        TextFile.writeToStandardError("compiling the anchors of \(directory) into \(cache) …\n")
        let runner = AnchorRunner.prepare(directory: directory, cacheDirectory: cache, only: anchorLabels)
        notes += runner.notes
        return runner
    }

    private func appendRaw(repetition: Int, run: PlannedRun, wall: String, result: String) {
        guard let path = options.rawOutputPath else { return }
        let fields = [
            ClockTime.now, String(repetition), run.benchmark, run.implementation.replacingSpaces(), wall, result,
        ]
        if !TextFile.append(fields.joined(separator: "\t") + "\n", to: path) {
            TextFile.writeToStandardError("warning: could not append to \(path)\n")
        }
    }

    private func lastLines(_ text: String, count: Int) -> String {
        text.split(whereSeparator: \.isNewline).suffix(count).map { "    " + $0 }.joined(separator: "\n")
    }
}

extension String {
    /// Spaces as underscores, so a label stays one field of a `RESULT` line or a TSV column.
    fileprivate func replacingSpaces() -> String { String(map { $0 == " " ? "_" : $0 }) }
}
