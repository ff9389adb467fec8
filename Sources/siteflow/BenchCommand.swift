import ArgumentParser

/// `siteflow bench …`: the benchmarks.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run Siteflow's benchmarks.",
        subcommands: [RuntimeBenchCommand.self, RuntimeOneCommand.self, StoreBenchCommand.self]
    )
}
