import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server for `siteflow bench store`: initdb in a temp folder, pg_ctl on
/// a free port (as the `postgres` user when run as root, since initdb refuses root), stopped and
/// deleted by ``stop()``.
final class BenchPostgresServer: Sendable {
    /// The folder with PostgreSQL's programs, if installed.
    static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: root) else { return nil }
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") { return bin }
        }
        return nil
    }

    let port: Int
    let directory: String
    private let bin: String

    private init(port: Int, directory: String, bin: String) {
        self.port = port
        self.directory = directory
        self.bin = bin
    }

    /// Creates and starts a server, with one database named `bench`.
    static func start() throws -> BenchPostgresServer {
        guard let bin = binDirectory else { throw BenchmarkError("PostgreSQL is not installed") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-bench-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", directory]) }
        try runAsServerUser("\(bin)/initdb", ["-D", "\(directory)/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        let port = try freePort()
        try runAsServerUser(
            "\(bin)/pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "60", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=200", "start",
            ])
        try runAsServerUser("\(bin)/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "bench"])
        return BenchPostgresServer(port: port, directory: directory, bin: bin)
    }

    /// Stops the server and deletes its folder.
    func stop() {
        try? Self.runAsServerUser("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-w", "-m", "fast", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func runAsServerUser(_ program: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try run("/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        } else {
            try run(program, arguments)
        }
    }

    /// Runs a program to completion with posix_spawn (Foundation's `Process` can hang in
    /// `waitUntilExit` on Linux).
    private static func run(_ program: String, _ arguments: [String]) throws {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-bench-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, program, &actions, nil, argv, environ) == 0 else { throw BenchmarkError("cannot start \(program)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0 else {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw BenchmarkError("\(program) failed: \(output)")
        }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw BenchmarkError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
