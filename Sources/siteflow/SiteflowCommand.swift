import ArgumentParser

/// The `siteflow` executable: `serve` (the default), `bench`, `loadtest`, `loadtest-server`.
@main
struct SiteflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siteflow",
        abstract: "Siteflow: Erlang/OTP-style processes for Swift.",
        subcommands: [ServeCommand.self, BenchCommand.self, LoadTestCommand.self, LoadTestServerCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
