import Foundation
import Synchronization

/// `siteflow serve` running as a child process (for crash tests): started on a free port, its
/// output watched for the "serving" line, killed with any signal.
final class NodeProcess: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case executableNotFound(String)
        case didNotStart(String)
        var description: String {
            switch self {
            case .executableNotFound(let searched): return "the siteflow executable was not found (searched \(searched)); run swift build first"
            case .didNotStart(let output): return "siteflow serve did not start:\n\(output)"
            }
        }
    }

    /// What the child printed, gathered from its pipe's thread; tests can wait for a line.
    final class OutputLog: Sendable {
        private struct State {
            var text = ""
            var waiters: [(text: String, continuation: CheckedContinuation<Void, Never>)] = []
        }
        private let state = Mutex(State())
        func append(_ more: String) {
            let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.text += more
                let text = state.text
                let (met, waiting) = (state.waiters.filter { text.contains($0.text) }, state.waiters.filter { !text.contains($0.text) })
                state.waiters = waiting
                return met.map(\.continuation)
            }
            for continuation in ready { continuation.resume() }
        }
        /// Ends every wait (the pipe closed).
        func finish() {
            let all = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                defer { state.waiters = [] }
                return state.waiters.map(\.continuation)
            }
            for continuation in all { continuation.resume() }
        }
        var value: String { state.withLock { $0.text } }
        /// Returns once the output contains `text` (or the pipe closed).
        func waitFor(_ text: String) async {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.text.contains(text) { return true }
                    state.waiters.append((text, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    let port: Int
    private let process: Process
    private let output: OutputLog

    private init(port: Int, process: Process, output: OutputLog) {
        self.port = port
        self.process = process
        self.output = output
    }

    /// The `siteflow` executable built beside the test bundle.
    static func executable() throws -> URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let folders = [testBinary.deletingLastPathComponent(), testBinary.deletingLastPathComponent().deletingLastPathComponent()]
        for folder in folders {
            let candidate = folder.appendingPathComponent("siteflow")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure.executableNotFound(folders.map(\.path).joined(separator: ", "))
    }

    /// The admin token the child is started with (`SITEFLOW_ADMIN_TOKEN`), for `/metrics`.
    static let adminToken = "node-process-admin-token-0123456789"

    /// Starts `siteflow serve --port 0 --database <database> <options>` and waits (up to 60 s) for
    /// it to listen. With `openFilesLimit`, the child runs under `prlimit` with that many file
    /// descriptors. Without `supervised`, the node runs in the child itself (`--no-supervise`);
    /// with it, the child is the node supervisor, which runs the node as its own child.
    static func start(
        database: String, options: [String] = [], openFilesLimit: Int? = nil, supervised: Bool = false,
        logLevel: String = "warning"
    ) async throws -> NodeProcess {
        let process = Process()
        let arguments = ["serve", "--port", "0", "--database", database, "--log-level", logLevel]
            + (supervised ? [] : ["--no-supervise"]) + options
        if let openFilesLimit {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(openFilesLimit):\(openFilesLimit)", "--", try executable().path] + arguments
        } else {
            process.executableURL = try executable()
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["SITEFLOW_ADMIN_TOKEN"] = adminToken
        // A supervised node gets the supervisor's backtracer settings, as a user's would (the
        // test runner's own setting, if any, would otherwise be inherited).
        if supervised { environment["SWIFT_BACKTRACE"] = nil }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputLog()
        let lines = AsyncStream<String>.makeStream()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                lines.continuation.finish()
                output.finish()
                return
            }
            let text = String(decoding: data, as: UTF8.self)
            output.append(text)
            lines.continuation.yield(text)
        }
        try process.run()
        let port = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                var seen = ""
                for await chunk in lines.stream {
                    seen += chunk
                    if let range = seen.range(of: "serving http://127.0.0.1:") {
                        let digits = seen[range.upperBound...].prefix { $0.isNumber }
                        if let port = Int(digits) { return port }
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let port else {
            process.terminate()
            throw Failure.didNotStart(output.value)
        }
        return NodeProcess(port: port, process: process, output: output)
    }

    /// Sends `signal` (e.g. `SIGKILL`) without waiting.
    func signal(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
    }

    /// Sends `signal` and waits for the process to end. It polls `waitpid` instead of calling
    /// `waitUntilExit`, which blocks a thread of the cooperative pool on a run loop and relies on
    /// Foundation noticing the child's exit.
    func kill(_ signal: Int32) async {
        self.signal(signal)
        _ = await PythonScript.exitStatus(of: process.processIdentifier, process: process)
    }

    /// The CPU time (user and system) the process has used, from `/proc/<pid>/stat`.
    func cpuTime() throws -> Duration {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        let fields = stat[(stat.lastIndex(of: ")").map { stat.index(after: $0) } ?? stat.startIndex)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return .zero }
        let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))
        return .milliseconds((user + system) * 1000 / max(ticksPerSecond, 1))
    }

    /// Everything the process printed so far.
    var printed: String { output.value }

    /// Returns once the process has printed `text` (or closed its output).
    func waitForOutput(_ text: String) async {
        await output.waitFor(text)
    }

    /// The child's OS process id (the supervisor's, when supervised).
    var pid: Int32 { process.processIdentifier }

    /// The pid of node `generation` under a supervised child, from its "node started" log line.
    func nodePID(generation: Int) async -> Int32? {
        let marker = "node=\(generation) pid="
        await output.waitFor(marker)
        let text = output.value
        guard let range = text.range(of: marker) else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// Waits for the process to end; returns its exit status (code, or 128 + signal).
    func exitStatus() async -> Int32 {
        await PythonScript.exitStatus(of: process.processIdentifier, process: process)
    }
}
