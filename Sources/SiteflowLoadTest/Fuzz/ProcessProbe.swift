import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads another process's resident memory and liveness from `/proc` (Linux).
enum ProcessProbe {
    /// The process's resident set size in bytes (`VmRSS` of `/proc/<pid>/status`), or `nil` when
    /// the process is gone or the file cannot be read.
    static func residentBytes(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.dropFirst("VmRSS:".count).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// `true` while a process with this id exists (a zombie counts as gone).
    static func isAlive(pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
        return !status.contains("State:\tZ")
    }
}
