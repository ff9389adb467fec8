import ArgumentParser
import Foundation
import SiteflowApp
import SiteflowStore

/// `siteflow reload`: asks a running supervisor (`siteflow serve`) to start a new node from the
/// binary now on disk and drain the old one once the new one is ready (the same as SIGHUP).
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Replace the running node with one started from the binary now on disk, without downtime.",
        discussion: """
            Finds the supervisor of `siteflow serve` by the pid file it keeps in its crash-report \
            folder (give the same --database or --crash-reports as to serve) and sends it SIGHUP.
            """
    )

    @Option(help: "The database the node was started with (locates its crash-report folder).")
    var database = "sqlite:siteflow.db"

    @Option(help: "The crash-report folder the node was started with, if not the default.")
    var crashReports: String?

    func run() throws {
        let url: DatabaseURL
        do {
            url = try DatabaseURL(parsing: database)
        } catch {
            throw ValidationError("--database: \(error)")
        }
        let folder = crashReports.map { CrashReportFolder(path: $0) } ?? CrashReportFolder(database: url)
        guard let pid = folder.supervisorPID() else {
            throw ServeError(message: "no running supervisor found (no pid file in \(folder.path)); is `siteflow serve` running with this --database?")
        }
        guard kill(pid, SIGHUP) == 0 else {
            throw ServeError(message: "cannot signal the supervisor (pid \(pid)): \(String(cString: strerror(errno)))")
        }
        print("asked the supervisor (pid \(pid)) to reload; its log shows the new node and the old one draining")
    }
}
