import ArgumentParser
import SiteflowBenchmarks

/// `siteflow bench runtime-one <benchmark> <numbers…>` (hidden): one Siteflow measurement in this
/// OS process, printed as a `RESULT impl=siteflow bench=… key=value …` line. `siteflow bench
/// runtime` starts one of these per run so that no run inherits another's memory or threads.
struct RuntimeOneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime-one",
        abstract: "Run one Siteflow runtime benchmark in this process and print its RESULT line.",
        shouldDisplay: false
    )

    @Argument(help: "The benchmark and its sizes, e.g. `ring 10000 1000`.")
    var arguments: [String]

    func run() throws {
        let result = try SiteflowBenchmarkRun.run(arguments)
        print(result.line)
    }
}
