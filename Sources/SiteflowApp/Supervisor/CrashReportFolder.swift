import Foundation
import Glibc
public import SiteflowObservability
public import SiteflowStore

/// The folder where the supervisor keeps node crash reports (one JSON file each, the newest
/// `limit`), and where the node reads them for the dashboard after a restart.
public struct CrashReportFolder: Sendable {
    /// The folder's path.
    public let path: String
    /// The most reports kept; older ones are deleted when a new one is written.
    public let limit: Int

    /// A folder at `path` keeping at most `limit` reports.
    public init(path: String, limit: Int = 50) {
        self.path = path
        self.limit = max(1, limit)
    }

    /// The folder for a node whose database is `database`: beside the SQLite file
    /// (`siteflow.db.crash-reports`), or `siteflow-crash-reports` in the working directory.
    public init(database: DatabaseURL) {
        switch database {
        case .sqlite(let file) where file != ":memory:" && !file.isEmpty: self.init(path: file + ".crash-reports")
        default: self.init(path: "siteflow-crash-reports")
        }
    }

    /// Writes `report` as a new file and deletes the oldest beyond ``limit``.
    /// - Throws: the file system's error (the caller logs it; the report is in the log anyway).
    public func save(_ report: CrashReport) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let stamp = report.time.replacingOccurrences(of: ":", with: "")
        let file = "\(path)/crash-\(stamp)-node\(report.generation)-pid\(report.pid).json"
        try encoder.encode(report).write(to: URL(fileURLWithPath: file), options: .atomic)
        let names = try reportFiles()
        for name in names.dropLast(limit) { try? manager.removeItem(atPath: "\(path)/\(name)") }
    }

    /// The reports kept, newest first (unreadable files are skipped).
    public func reports() -> [CrashReport] {
        guard let names = try? reportFiles() else { return [] }
        let decoder = JSONDecoder()
        return names.reversed().compactMap { name in
            guard let data = FileManager.default.contents(atPath: "\(path)/\(name)") else { return nil }
            return try? decoder.decode(CrashReport.self, from: data)
        }
    }

    /// The file where a running supervisor keeps its pid (for `siteflow reload`).
    public var supervisorPIDFile: String { path + "/supervisor.pid" }

    /// Records `pid` as the running supervisor's.
    /// - Throws: the file system's error.
    public func recordSupervisor(pid: Int32) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data("\(pid)\n".utf8).write(to: URL(fileURLWithPath: supervisorPIDFile), options: .atomic)
    }

    /// Removes the pid file if it still names `pid`.
    public func forgetSupervisor(pid: Int32) {
        if supervisorPID() == pid { try? FileManager.default.removeItem(atPath: supervisorPIDFile) }
    }

    /// The pid of the supervisor recorded here, if that process is still running.
    public func supervisorPID() -> Int32? {
        guard let data = FileManager.default.contents(atPath: supervisorPIDFile),
            let pid = Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
            pid > 0, kill(pid, 0) == 0 || errno == EPERM
        else { return nil }
        return pid
    }

    /// Report file names, oldest first (their names start with the time).
    private func reportFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { $0.hasPrefix("crash-") && $0.hasSuffix(".json") }
            .sorted()
    }
}

/// The dashboard's "Node crashes" panel: the supervisor's reports of earlier nodes that crashed.
public struct CrashReportDashboard: DashboardSource {
    let folder: CrashReportFolder

    /// A panel showing the reports in `folder`.
    public init(folder: CrashReportFolder) { self.folder = folder }

    public func dashboardSection() -> DashboardSection {
        let reports = folder.reports()
        let rows = reports.prefix(20).map { report in
            [report.time, "node \(report.generation) (pid \(report.pid))", report.status, report.process ?? "–",
             report.handler ?? report.frames.first ?? "–", report.decision]
        }
        return DashboardSection(
            title: "Node crashes",
            figures: [DashboardSection.Figure(label: "crash reports kept", value: "\(reports.count)", number: Double(reports.count))],
            tables: [DashboardSection.Table(
                title: "Recent node crashes (newest first; full reports in \(folder.path))",
                columns: ["time", "node", "how it ended", "process", "in", "supervisor"], rows: Array(rows))])
    }
}
