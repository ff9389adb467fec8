import CSiteflowSpawn
import Foundation
public import SiteflowStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL server of our own for tests and benchmarks: initdb in a temp folder, started with pg_ctl on
/// a free port, stopped by a watchdog as soon as the test process ends (even if it crashes).
///
/// When the tests run as root (CI), initdb refuses root, so the server runs as the `postgres`
/// user through `runuser`, and the temp folder is handed to that user.
public final class ThrowawayPostgres: Sendable {
    /// The folder with PostgreSQL's programs, if they are installed.
    public static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: root) else { return nil }
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") { return bin }
        }
        return nil
    }()

    /// Whether the tests can start a server.
    public static var isInstalled: Bool { binDirectory != nil }

    /// The shared server for the whole test run, started on first use.
    public static let shared = Task<ThrowawayPostgres, any Error> { try await ThrowawayPostgres.start() }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// Its folder (data directory, socket, log).
    public let directory: String
    private let bin: String
    private let durable: Bool
    private let databases = DatabaseCounter()

    private init(port: Int, directory: String, bin: String, durable: Bool) {
        self.port = port
        self.directory = directory
        self.bin = bin
        self.durable = durable
    }

    /// Starts a fresh server (each call a separate one, e.g. for a test that stops it).
    /// `durable` keeps PostgreSQL's fsync on (benchmarks); tests run with fsync off.
    public static func start(durable: Bool = false) async throws -> ThrowawayPostgres {
        guard let bin = binDirectory else { throw FixtureError("PostgreSQL is not installed") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", directory]) }
        try runAsServerUser("\(bin)/initdb", ["-D", "\(directory)/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        let port = try freePort()
        let server = ThrowawayPostgres(port: port, directory: directory, bin: bin, durable: durable)
        try server.startServer()
        server.startWatchdog()
        return server
    }

    /// Starts (or restarts) the server process on its port.
    public func startServer() throws {
        try Self.runAsServerUser(
            "\(bin)/pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "60", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=300" + (durable ? "" : " -c fsync=off"), "start",
            ])
    }

    /// Stops the server (fast shutdown: open connections are closed).
    public func stopServer() throws {
        try Self.runAsServerUser("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-w", "-m", "fast", "stop"])
    }

    /// Creates an empty database and returns its endpoint.
    public func makeDatabase() throws -> PostgresEndpoint {
        let name = "t\(databases.next())_\(UInt32.random(in: .min ... .max))"
        try Self.runAsServerUser("\(bin)/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name])
        return PostgresEndpoint(host: "127.0.0.1", port: port, username: "postgres", database: name)
    }

    /// A shell loop that stops the server and deletes its folder once this process is gone.
    private func startWatchdog() {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(Self.asServerUser("\(bin)/pg_ctl -D \(directory)/data -m immediate stop")) >/dev/null 2>&1
            rm -rf \(directory)
            """
        // Detached from this process: `setsid` puts it in its own session so it outlives us.
        try? Self.spawnDetached("/usr/bin/setsid", ["/bin/sh", "-c", script])
    }

    private static func spawnDetached(_ program: String, _ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        sf_spawn_file_actions_add_close_from(&actions, 3)  // keep none of our sockets open in the child
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, program, &actions, nil, argv, environ) == 0 else { throw FixtureError("cannot start \(program)") }
    }

    private static func asServerUser(_ command: String) -> String {
        getuid() == 0 ? "runuser -u postgres -- \(command)" : command
    }

    private static func runAsServerUser(_ program: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try run("/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        } else {
            try run(program, arguments)
        }
    }

    /// Runs a program to completion with posix_spawn (Foundation's `Process` can hang in
    /// `waitUntilExit` on Linux); its output goes to a temp file shown if it fails.
    private static func run(_ program: String, _ arguments: [String]) throws {
        let path = FileManager.default.isExecutableFile(atPath: program) ? program : "/usr" + program
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-run-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        sf_spawn_file_actions_add_close_from(&actions, 3)  // keep none of our sockets open in the child
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw FixtureError("cannot start \(path): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitedCleanly = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        guard exitedCleanly else {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw FixtureError("\(program) \(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
        }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw FixtureError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Numbers the databases a server hands out.
final class DatabaseCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

/// A fixture could not be set up; the message says what failed.
public struct FixtureError: Error, CustomStringConvertible {
    /// What failed.
    public let description: String
    /// A failure described by `description`.
    public init(_ description: String) { self.description = description }
}
