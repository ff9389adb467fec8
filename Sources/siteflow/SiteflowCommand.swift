import ArgumentParser
import Foundation
import SiteflowRuntime

/// The `siteflow` executable: `serve` (the default), `reload`, `bench`, `loadtest`, `loadtest-server`.
@main
struct SiteflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siteflow",
        abstract: "Siteflow: Erlang/OTP-style processes for Swift.",
        subcommands: [
            ServeCommand.self, ReloadCommand.self, BenchCommand.self, LoadTestCommand.self, LoadTestServerCommand.self,
            IsolatedWorkerCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    /// Parses the command, tunes the C heap for it, and runs it. Benchmarks and load tests grow
    /// the heap in large steps (``HeapGrowth``, ADR 0009: spawning a million processes); a
    /// serving node keeps glibc's small top pad and one malloc arena per core (at least two), so
    /// that what a burst leaves at the tops of its arenas is small (``HeapTrimmer`` gives back
    /// the free pages inside them; RELIABILITY.md "Memory after floods").
    static func main() async {
        do {
            var command = try parseAsRoot()
            if command is ServeCommand || command is IsolatedWorkerCommand {
                HeapGrowth.limitArenas(to: max(2, ProcessInfo.processInfo.activeProcessorCount))
            } else {
                HeapGrowth.growInLargeSteps()
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
