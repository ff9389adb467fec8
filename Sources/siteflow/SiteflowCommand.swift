import ArgumentParser

/// The `siteflow` executable: a tree of subcommands. Only `bench` exists so far; the server
/// (`siteflow serve`, the future default) will join it.
@main
struct SiteflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siteflow",
        abstract: "Siteflow: Erlang/OTP-style processes for Swift.",
        subcommands: [BenchCommand.self]
    )
}
