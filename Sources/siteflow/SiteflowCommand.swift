import ArgumentParser
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

    /// Tunes the C heap for many processes (``HeapGrowth``), then parses and runs the command.
    static func main() async {
        HeapGrowth.growInLargeSteps()
        do {
            var command = try parseAsRoot()
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
