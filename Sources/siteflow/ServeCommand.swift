import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SiteflowApp
import SiteflowLoadTestServer
import SiteflowRealtime
import SiteflowStore
import UnixSignals

/// `siteflow serve` (the default): the chat app at `/`, the dashboard at `/dashboard/`, Prometheus
/// metrics at `/metrics` and Phoenix sockets at `/socket`, on one port; SQLite by default.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the chat app, the live dashboard, metrics and Phoenix-compatible sockets on one port.",
        discussion: """
            With no options the node listens on http://127.0.0.1:4000/ and keeps its data in \
            siteflow.db in the working directory. SIGTERM or Ctrl-C stops it gracefully: clients are \
            told to reconnect elsewhere, running jobs finish, the store closes.
            """
    )

    @Option(help: "The address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 4000

    @Option(help: "sqlite:PATH (default sqlite:siteflow.db) or postgres://user:pass@host:port/db.")
    var database = "sqlite:siteflow.db"

    @Option(help: "This node's name (default: a random one).")
    var node: String?

    @Option(help: "An Origin allowed to open sockets besides the node's own pages (repeatable; e.g. https://chat.example.com or https://*.example.com; '*' allows any origin).")
    var origin: [String] = []

    @Flag(help: "Route topics bench:* to a stateless broadcast channel, for `siteflow loadtest` (no store, no presence).")
    var benchTopics = false

    @Flag(help: "Pin each event-loop thread to its own CPU (Linux), e.g. when load-test clients share the machine.")
    var pinEventLoops = false

    @Option(help: "The most TCP connections the node holds; more are answered 503 at accept.")
    var maxConnections = 100_000

    @Option(help: "The most TCP connections one client address may hold; more are answered 429 at accept.")
    var maxConnectionsPerAddress = 25_000

    @Option(help: "The most long-poll sessions the node holds; a new one beyond it is answered 503.")
    var maxLongPollSessions = 10_000

    @Option(help: "The most chat messages each room keeps (its newest); older ones are deleted every 5 minutes. 0 keeps any number.")
    var historyKeepPerRoom = HistoryRetention.defaultKeepPerRoom

    @Option(help: "If set, chat messages older than this many hours are deleted too (every 5 minutes).")
    var historyMaxAgeHours: Int?

    @Option(help: "Channel joins one socket may send per second, sustained; a join past it is answered 'join rate limited'.")
    var joinsPerSecond: Double = 10

    @Option(help: "Channel joins one socket may send at once before --joins-per-second applies.")
    var joinBurst = 100

    @Option(help: "Chat rooms one client address may create per minute (joining a room that exists is free); past it a join is answered 'room creation rate limited'.")
    var roomsPerMinute = 10

    @Option(help: "Seconds running jobs get to finish when the node drains (SIGTERM, reload); those still running then are stopped and retried later.")
    var drainTimeout = 20

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(help: "Enable the loopback-only fault-injection hooks (POST /_fault/trap, /_fault/trap-isolated, /_fault/throw, /_fault/stall?ms=N, /_fault/kill?name=NAME) for tests and drills. Never in production.")
    var faultInjection = false

    @Flag(help: "Run the node in this process, without the supervisor process that restarts it after a crash and reloads it on SIGHUP.")
    var noSupervise = false

    @Option(help: "Supervisor: the most node restarts within --restart-window before it gives up (exits 1).")
    var maxRestarts = 5

    @Option(help: "Supervisor: the window, in seconds, that --max-restarts counts restarts in.")
    var restartWindow = 60

    @Option(help: "Supervisor: where node crash reports are kept (default: beside the SQLite file, or ./siteflow-crash-reports).")
    var crashReports: String?

    @Option(help: .hidden)
    var listenFd: Int32?

    @Option(help: .hidden)
    var supervisorFd: Int32?

    func validate() throws {
        do {
            _ = try DatabaseURL(parsing: database)
        } catch {
            throw ValidationError("--database: \(error)")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard maxConnections >= 1, maxConnectionsPerAddress >= 1, maxLongPollSessions >= 1 else {
            throw ValidationError("--max-connections, --max-connections-per-address and --max-long-poll-sessions must be at least 1")
        }
        guard historyKeepPerRoom >= 0 else { throw ValidationError("--history-keep-per-room must be 0 (no bound) or more") }
        if let historyMaxAgeHours, historyMaxAgeHours < 1 { throw ValidationError("--history-max-age-hours must be at least 1") }
        guard joinsPerSecond > 0, joinsPerSecond.isFinite, joinBurst >= 1, roomsPerMinute >= 1 else {
            throw ValidationError("--joins-per-second must be positive, --join-burst and --rooms-per-minute at least 1")
        }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must be 0 or more seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
        guard maxRestarts >= 0, restartWindow >= 1 else { throw ValidationError("--max-restarts must be at least 0 and --restart-window at least 1") }
        guard (listenFd == nil) == (supervisorFd == nil), listenFd == nil || noSupervise else {
            throw ValidationError("--listen-fd and --supervisor-fd are set by the node supervisor, together with --no-supervise")
        }
    }

    /// Where crash reports are kept for this command line.
    private func crashReportFolder(_ database: DatabaseURL) -> CrashReportFolder {
        crashReports.map { CrashReportFolder(path: $0) } ?? CrashReportFolder(database: database)
    }

    /// Runs the node supervisor (the default): this process listens and runs the node as its child.
    private func supervise(logger: Logger) async throws {
        let supervisor = NodeSupervisor(NodeSupervisor.Configuration(
            host: host, port: port, executable: NodeSupervisor.currentExecutable(),
            nodeArguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
            intensity: NodeRestartIntensity(maxRestarts: maxRestarts, window: .seconds(restartWindow)),
            crashReports: crashReportFolder(try DatabaseURL(parsing: database)), logger: logger))
        let code: Int32
        do {
            code = try await supervisor.run()
        } catch let error as SupervisorError {
            throw ServeError(message: error.description)
        }
        if code != 0 { throw ExitCode(code) }
    }

    func run() async throws {
        var logger = Logger(label: "siteflow")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if !noSupervise {
            var supervisorLogger = Logger(label: "siteflow.supervisor")
            supervisorLogger.logLevel = logger.logLevel
            return try await supervise(logger: supervisorLogger)
        }
        var link: SupervisorLink?
        if let listenFd, let supervisorFd {
            do {
                link = try SupervisorLink(
                    noticeDescriptor: supervisorFd, listeningDescriptor: listenFd,
                    supervisorPID: ProcessInfo.processInfo.environment["SITEFLOW_SUPERVISOR_PID"].flatMap { Int32($0) })
            } catch let error as SupervisorError {
                throw ServeError(message: error.description)
            }
        }
        var configuration = NodeConfiguration(
            host: host, port: port, database: try DatabaseURL(parsing: database),
            origins: origin.contains("*") ? .any : .sameOrigin(plus: origin),
            pinsEventLoops: pinEventLoops, maxConnections: maxConnections, maxConnectionsPerAddress: maxConnectionsPerAddress,
            maxLongPollSessions: maxLongPollSessions, logger: logger)
        if let node { configuration.nodeName = node }
        configuration.listeningSocket = listenFd
        configuration.faultInjection = faultInjection
        configuration.drainTimeout = .seconds(drainTimeout)
        configuration.crashReports = crashReportFolder(configuration.database)
        configuration.historyRetention = historyKeepPerRoom == 0 && historyMaxAgeHours == nil
            ? nil
            : HistoryRetention(keepPerRoom: historyKeepPerRoom == 0 ? Int.max : historyKeepPerRoom,
                               maxAge: historyMaxAgeHours.map { .seconds($0 * 3600) })
        configuration.socket.limits.joinsPerSecond = joinsPerSecond
        configuration.socket.limits.joinBurst = joinBurst
        configuration.chatRooms.roomsPerMinute = roomsPerMinute
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["SITEFLOW_ADMIN_TOKEN"] {
            do {
                configuration.admin = try AdminAccess(token: token, metricsToken: environment["SITEFLOW_METRICS_TOKEN"])
            } catch {
                throw ServeError(message: "SITEFLOW_ADMIN_TOKEN / SITEFLOW_METRICS_TOKEN: \(error)")
            }
        } else if environment["SITEFLOW_METRICS_TOKEN"] != nil {
            throw ServeError(message: "SITEFLOW_METRICS_TOKEN needs SITEFLOW_ADMIN_TOKEN too (a generated admin token would change on every start)")
        }
        if benchTopics { configuration.channels = { $0.channel("bench:*") { BroadcastChannel() } } }
        // The node starts inside its group (a PostgreSQL store's connection pool runs there as a
        // Service); the banner is printed once it listens.
        let host = self.host
        let port = self.port
        let supervisorLink = link
        do {
            try await SiteflowNode.run(configuration, gracefulShutdownSignals: [.sigterm, .sigint]) { siteflow in
                // Written straight to the file descriptor (no stdio buffering), so a supervisor or a test
                // reading our output through a pipe sees the line at once.
                let banner = "Siteflow is serving http://\(host):\(siteflow.port ?? port)/ (dashboard: /dashboard/, metrics: /metrics). Ctrl-C stops it.\n"
                    + "Dashboard (keep this link private; it holds the admin token): \(siteflow.dashboardURL)\n"
                    + "Prometheus scrapes /metrics with 'Authorization: Bearer <token>' (SITEFLOW_ADMIN_TOKEN or SITEFLOW_METRICS_TOKEN).\n"
                FileHandle.standardOutput.write(Data(banner.utf8))
                supervisorLink?.ready(port: siteflow.port ?? port)
            }
        } catch let error as StoreError {
            throw ServeError(message: "cannot open the database \(configuration.database): \(error.reason). "
                + "Check the path and its permissions (or the PostgreSQL server), or choose another with --database.")
        } catch let error as SecretKeyError {
            throw ServeError(message: "cannot load the secret key: \(error)")
        } catch let error as ChatAssetError {
            throw ServeError(message: "\(error)")
        }
    }
}

/// Why `siteflow serve` could not start, said for a person (printed without the usage text).
struct ServeError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
