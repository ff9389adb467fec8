import Foundation
import Glibc
public import Logging
import SiteflowRuntime
import UnixSignals

/// `siteflow serve`'s supervisor process: owns the listening socket, runs the node as a child OS
/// process (the same executable, `--no-supervise`), replaces it at once when it crashes, keeps
/// crash reports, drains it on SIGTERM/SIGINT and replaces it without downtime on SIGHUP.
/// The decisions are ``NodeSupervisorStateMachine``'s; this type carries them out.
public struct NodeSupervisor: Sendable {
    /// What the supervisor runs and how.
    public struct Configuration: Sendable {
        /// The address and port to listen on (port 0 picks a free one).
        public var host: String
        public var port: Int
        /// The accept queue's length: clients wait there while a node restarts.
        public var backlog: Int32 = 4096
        /// The node's executable (re-read on every start, so SIGHUP runs the binary now on disk).
        public var executable: String
        /// The node's arguments (`serve …`); the supervisor adds `--no-supervise` and the
        /// descriptors it hands over.
        public var nodeArguments: [String]
        /// The node's environment.
        public var environment: [String: String]
        /// How many restarts within which window before the supervisor gives up.
        public var intensity: NodeRestartIntensity
        /// How long a crashed node may take to write its backtrace before it is killed.
        public var crashGrace: Duration = .seconds(10)
        /// Where crash reports are kept.
        public var crashReports: CrashReportFolder
        /// Where the supervisor logs.
        public var logger: Logger

        /// A configuration; see each property.
        public init(
            host: String, port: Int, executable: String, nodeArguments: [String], environment: [String: String],
            intensity: NodeRestartIntensity, crashReports: CrashReportFolder, logger: Logger
        ) {
            self.host = host
            self.port = port
            self.executable = executable
            self.nodeArguments = nodeArguments
            self.environment = environment
            self.intensity = intensity
            self.crashReports = crashReports
            self.logger = logger
        }
    }

    /// The backtracer settings a node runs with unless `SWIFT_BACKTRACE` is set: no symbols (the
    /// supervisor symbolicates afterwards, so the dying node exits in about 0.1 s instead of
    /// seconds), the crashing thread only, and the loaded images so addresses can be resolved.
    public static let nodeBacktraceSettings = BacktraceSettings.quick

    private let configuration: Configuration

    /// A supervisor with `configuration`.
    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// The path of the running executable (to start the same binary as the node).
    public static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Listens, runs nodes until a stop (or until restarts exceed the intensity), and returns the
    /// exit code for the supervisor's process: 0 after a requested stop.
    /// - Throws: ``SupervisorError`` when the socket cannot be bound.
    public func run() async throws -> Int32 {
        let logger = configuration.logger
        let socket = try ListeningSocket.bind(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        defer { socket.close() }
        do {
            try configuration.crashReports.recordSupervisor(pid: getpid())
        } catch {
            logger.warning("cannot write the pid file \(configuration.crashReports.supervisorPIDFile) (siteflow reload will not find this supervisor): \(error)")
        }
        defer { configuration.crashReports.forgetSupervisor(pid: getpid()) }
        logger.info("supervisor listening", metadata: [LogKey.host: "\(configuration.host)", LogKey.port: "\(socket.port)", LogKey.pid: "\(getpid())"])
        let (events, continuation) = AsyncStream<SupervisorEvent>.makeStream()
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
        let started = ContinuousClock.now
        var machine = NodeSupervisorStateMachine(intensity: configuration.intensity, crashGrace: configuration.crashGrace)
        var nodes: [Int: SupervisedNode] = [:]
        var exitedNodes: [Int: SupervisedNode] = [:]
        var crashedAt: [Int: ContinuousClock.Instant] = [:]
        var replacedBy: [Int: Int] = [:]
        var exitCode: Int32 = 1
        var environment = configuration.environment
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = Self.nodeBacktraceSettings }
        environment["SITEFLOW_SUPERVISOR_PID"] = String(getpid())
        if environment["SITEFLOW_ADMIN_TOKEN"] == nil {
            // One generated admin token for every node this supervisor starts, so the dashboard
            // link printed at the first start keeps working after a restart or a reload.
            var generator = SystemRandomNumberGenerator()
            environment["SITEFLOW_ADMIN_TOKEN"] = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }
                .map { String(repeating: "0", count: 16 - $0.count) + $0 }.joined()
        }
        let nodeEnvironment = environment
        let nodeArguments = configuration.nodeArguments + [
            "--no-supervise", "--listen-fd", String(SupervisedNode.listeningDescriptor),
            "--supervisor-fd", String(SupervisedNode.noticeDescriptor),
        ]
        let symbolizer = Symbolizer.find()
        let spawner = SpawnThread()
        defer { spawner.finish() }
        let folder = configuration.crashReports
        let executable = configuration.executable

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await signal in signals {
                    continuation.yield(signal == .sighup ? .reload : .stop)
                }
            }
            var iterator = events.makeAsyncIterator()
            var pending = machine.start()
            loop: while true {
                while !pending.isEmpty {
                    let action = pending.removeFirst()
                    switch action {
                    case .startNode(let generation):
                        let launched = await spawner.run {
                            Result {
                                try SupervisedNode.launch(
                                    generation: generation, executable: executable, arguments: nodeArguments,
                                    environment: nodeEnvironment, listening: socket, events: continuation)
                            }
                        }
                        do {
                            let node = try launched.get()
                            nodes[generation] = node
                            logger.info("node started", metadata: [LogKey.node: "\(generation)", LogKey.pid: "\(node.pid)"])
                        } catch {
                            logger.error("cannot start node \(generation): \(error)")
                            pending += machine.nodeExited(generation, status: .exited(127), at: ContinuousClock.now - started)
                        }
                    case .drainNode(let generation):
                        logger.info("draining node", metadata: [LogKey.node: "\(generation)"])
                        nodes[generation]?.send(SIGTERM)
                    case .killNode(let generation):
                        nodes[generation]?.send(SIGKILL)
                    case .killNodeAfter(let generation, let grace):
                        group.addTask {
                            try? await Task.sleep(for: grace)
                            continuation.yield(.killTimer(generation: generation))
                        }
                    case .reportCrash(let generation, let status):
                        guard let node = exitedNodes.removeValue(forKey: generation) else { break }
                        let decision = replacedBy[generation].map { "restarted as node \($0)" }
                            ?? "not restarted (see the supervisor's log)"
                        group.addTask {
                            let report = CrashReport.make(
                                generation: generation, pid: node.pid, status: status, notice: node.crash,
                                output: node.output.lines, executable: executable, decision: decision, symbolizer: symbolizer)
                            do {
                                try folder.save(report)
                            } catch {
                                logger.error("cannot save the crash report in \(folder.path): \(error)")
                            }
                            logger.critical("\(report.text)")
                        }
                    case .note(let text):
                        logger.notice("\(text)")
                    case .exit(let code, let reason):
                        if code == 0 {
                            logger.info("supervisor exiting: \(reason)")
                        } else {
                            logger.critical("supervisor exiting: \(reason)")
                        }
                        exitCode = code
                        break loop
                    }
                }
                guard let event = await iterator.next() else { break }
                let now = ContinuousClock.now - started
                switch event {
                case .ready(let generation, let port):
                    var metadata: Logger.Metadata = [LogKey.node: "\(generation)", LogKey.port: "\(port)"]
                    if let pid = nodes[generation]?.pid { metadata[LogKey.pid] = "\(pid)" }
                    if let crashed = crashedAt.values.max() {
                        metadata[LogKey.sinceCrash] = "\((ContinuousClock.now - crashed).milliseconds)"
                        crashedAt.removeAll()
                    }
                    logger.info("node \(generation) is ready", metadata: metadata)
                    pending = machine.nodeReady(generation)
                case .crashed(let generation, let signal, let serial):
                    crashedAt[generation] = ContinuousClock.now
                    logger.error("node crashed", metadata: [
                        LogKey.node: "\(generation)", LogKey.signal: "\(NodeExitStatus.signalName(signal))",
                        LogKey.process: "\(serial == 0 ? "none" : "<0.\(serial).0>")",
                    ])
                    pending = machine.nodeCrashed(generation, at: now)
                    if let new = Self.startedNode(in: pending) { replacedBy[generation] = new }
                case .exited(let generation, let status):
                    logger.info("node exited", metadata: [LogKey.node: "\(generation)", LogKey.status: "\(status)"])
                    if !status.isClean, crashedAt[generation] == nil, nodes[generation]?.crash == nil {
                        crashedAt[generation] = ContinuousClock.now
                    }
                    pending = machine.nodeExited(generation, status: status, at: now)
                    if let new = Self.startedNode(in: pending) { replacedBy[generation] = new }
                    // Never signal a reaped pid (it may be reused); a crash report still reads its output.
                    exitedNodes[generation] = nodes.removeValue(forKey: generation)
                case .killTimer(let generation):
                    pending = machine.killTimerFired(generation)
                case .stop:
                    pending = machine.stopRequested()
                case .reload:
                    pending = machine.reloadRequested()
                }
            }
            continuation.finish()
            group.cancelAll()
        }
        return exitCode
    }
}

extension NodeSupervisor {
    /// The node an action list starts, if any (the replacement of a node that died).
    fileprivate static func startedNode(in actions: [NodeSupervisorStateMachine.Action]) -> Int? {
        for action in actions {
            if case .startNode(let generation) = action { return generation }
        }
        return nil
    }
}

extension Duration {
    /// Whole milliseconds.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
