import ArgumentParser

/// The `siteflow` executable: a tree of subcommands (`bench`, `loadtest`, `loadtest-server`); the
/// server (`siteflow serve`, the future default) will join it.
@main
struct SiteflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siteflow",
        abstract: "Siteflow: Erlang/OTP-style processes for Swift.",
        subcommands: [BenchCommand.self, LoadTestCommand.self, LoadTestServerCommand.self]
    )
}
