import ArgumentParser
import SiteflowApp
import SiteflowBenchmarks
import SiteflowRuntime

/// `siteflow isolated-worker NAME` (hidden): the worker OS process of an isolated process. The
/// node starts it with its socket as descriptor 3; it runs the server registered as NAME in
/// ``NodeIsolatedBehaviors`` (or the isolation benchmark's server) until the server ends or the
/// node goes away.
struct IsolatedWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isolated-worker",
        abstract: "Run one isolated server for a node (started by the node, not by hand).",
        shouldDisplay: false
    )

    @Argument(help: "The name the server is registered under.")
    var name: String

    func run() throws {
        var catalogue = NodeIsolatedBehaviors.catalogue
        IsolationBenchmark.register(in: &catalogue)
        let code = IsolatedWorker.run(name: name, behaviors: catalogue)
        if code != 0 { throw ExitCode(code) }
    }
}
