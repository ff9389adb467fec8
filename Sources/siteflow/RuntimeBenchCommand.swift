import ArgumentParser
import SiteflowBenchmarks

/// `siteflow bench runtime`: Siteflow against the Erlang and Go anchor programs.
struct RuntimeBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Benchmark the process runtime against the Erlang and Go anchors.",
        discussion: """
            Runs spawn, ring, ringmulti, fanout and call for Siteflow and, when `erl`/`erlc` and \
            `go` are on PATH, for the anchor programs in <package>/../shared/anchors (compiled into \
            .build/bench-anchors). Runs are interleaved, the order rotated per repetition; each run \
            is a fresh OS process. `isolated` (Siteflow only) compares a cast and a call to a server \
            in a worker OS process with the same to an ordinary process. Progress goes to standard \
            error, the Markdown table to standard output. Build with `-c release` for meaningful numbers.
            """
    )

    @Option(help: "Runs of each benchmark per implementation; the table shows medians.")
    var repetitions = 3

    @Flag(help: "Shrink the work 10× for a smoke run.")
    var quick = false

    @Option(help: "Comma-separated benchmarks to run (spawn, ring, ringmulti, fanout, call, isolated).")
    var only: String?

    @Option(help: "Comma-separated implementations to run (siteflow, erlang, go).")
    var implementations: String?

    @Option(help: "The anchors' folder (default: <package>/../shared/anchors).")
    var anchors: String?

    @Option(help: "Seconds one run may take before it is killed and counted as failed.")
    var timeout = 150

    @Option(help: "Processes of the spawn benchmark (default 1000000, or 100000 with --quick).")
    var spawnCount: Int?

    @Option(help: "Append one tab-separated line per run to this file.")
    var raw: String?

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
        if let spawnCount, spawnCount < 1 { throw ValidationError("--spawn-count must be at least 1") }
    }

    func run() throws {
        let bench = RuntimeBench(
            options: RuntimeBench.Options(
                repetitions: repetitions, quick: quick, only: only.map(Self.list),
                implementations: implementations.map(Self.list), anchorsPath: anchors,
                timeout: .seconds(timeout), spawnCount: spawnCount, rawOutputPath: raw))
        print(try bench.run(), terminator: "")
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
    }
}
