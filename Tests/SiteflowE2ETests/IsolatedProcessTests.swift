import Foundation
import SiteflowApp
import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

/// Isolated processes (`SpawnOptions(isolation: .osProcess)`): a server that runs in a worker OS
/// process — the real `siteflow isolated-worker` — behind an ordinary proxy process. Real
/// processes, real socket pairs, real traps.
@Suite("Isolated processes: a wall for code that may trap", .serialized)
struct IsolatedProcessTests {
    /// A runtime whose isolated processes run the `siteflow` binary built beside the tests.
    private func withIsolation(
        maxFrameBytes: Int = 1 << 20, maxQueuedMessages: Int = 10_000,
        executable: String? = nil, arguments: [String] = ["isolated-worker"],
        _ body: (Runtime) async throws -> Void
    ) async throws {
        let isolation = IsolationConfiguration(
            behaviors: NodeIsolatedBehaviors.catalogue, executable: try executable ?? NodeProcess.executable().path,
            arguments: arguments, maxFrameBytes: maxFrameBytes, maxQueuedMessages: maxQueuedMessages)
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2), isolation: isolation))
        defer { runtime.shutdown() }
        try await body(runtime)
    }

    private func startTarget(_ runtime: Runtime, name: String? = nil) throws -> ServerRef<IsolatedFaultTarget> {
        try IsolatedFaultTarget.start(IsolatedFaultTarget(), runtime: runtime, options: SpawnOptions(name: name, isolation: .osProcess))
    }

    private func workerPID(_ target: ServerRef<IsolatedFaultTarget>) async throws -> Int32 {
        guard case .number(let pid) = try await target.call(.workerPID, timeout: .seconds(30)) else {
            Issue.record("workerPID did not answer a number")
            return 0
        }
        return Int32(pid)
    }

    /// Whether an OS process with this pid exists (a reaped one does not).
    private func exists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }

    /// Waits (up to 30 s) until no OS process has this pid.
    private func waitUntilGone(_ pid: Int32) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while exists(pid) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// The exit reason in a `down` the probe receives.
    private func downReason(_ probe: TestProbe<String>) async throws -> ExitReason? {
        guard case .down(_, _, let reason) = try await probe.nextSignal(within: .seconds(60)) else { return nil }
        return reason
    }

    private func isolatedError(_ reason: ExitReason?) -> IsolatedProcessError? {
        guard case .error(let error)? = reason else { return nil }
        return error as? IsolatedProcessError
    }

    @Test("a call and a cast round-trip through the worker OS process, which is not the node")
    func callAndCast() async throws {
        try await withIsolation { runtime in
            let target = try startTarget(runtime)
            #expect(try await target.call(.echo("hello"), timeout: .seconds(30)) == .text("hello"))
            #expect(target.cast(.add(2)))
            #expect(target.cast(.add(40)))
            #expect(try await target.call(.total) == .number(42), "casts are handled in order, before the next call")
            let pid = try await workerPID(target)
            #expect(pid > 0 && pid != getpid())
            #expect(exists(pid))
        }
    }

    @Test("a trap in the worker reaches a monitor as an exit with the signal and the backtrace; the call in flight fails; the node lives on")
    func trapReachesMonitor() async throws {
        try await withIsolation { runtime in
            let target = try startTarget(runtime)
            let pid = try await workerPID(target)
            let probe = try TestProbe<String>(runtime: runtime, trapExits: false)
            probe.monitor(target.id)
            await #expect {
                _ = try await target.call(.trap, timeout: .seconds(60))
            } throws: { error in
                (error as? CallError)?.isServerDown == true
            }
            let reason = try await downReason(probe)
            let crash = isolatedError(reason)
            #expect(crash?.code == .signaled, "\(String(describing: reason))")
            #expect(crash?.signal == SIGILL || crash?.signal == SIGTRAP, "a Swift trap: \(String(describing: crash))")
            #expect(crash?.workerPID == pid)
            #expect(crash?.backtrace.contains { $0.contains("fault injection: a trap requested in an isolated process") } == true)
            #expect(crash?.backtrace.contains { $0.hasPrefix("*** ") } == true, "the backtracer's banner and frames")
            #expect(!exists(pid), "the worker has been reaped")
            // The node's runtime is unharmed: another isolated process starts and answers.
            let next = try startTarget(runtime)
            #expect(try await next.call(.echo("still here"), timeout: .seconds(30)) == .text("still here"))
        }
    }

    @Test("a supervisor restarts a trapped isolated child in a new worker OS process")
    func supervisorRestartsIt() async throws {
        try await withIsolation { runtime in
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [
                    .server(id: "target", options: SpawnOptions(name: "isolated.target", isolation: .osProcess)) { IsolatedFaultTarget() }
                ])
            guard let first = runtime.server(named: "isolated.target", as: IsolatedFaultTarget.self) else {
                Issue.record("the child is not registered")
                return
            }
            let firstPID = try await workerPID(first)
            let probe = try TestProbe<String>(runtime: runtime, trapExits: false)
            probe.monitor(first.id)
            #expect(first.cast(.trap))
            #expect(isolatedError(try await downReason(probe))?.code == .signaled)
            // The supervisor handles the child's exit signal before this request (signals first).
            let children = try await supervisor.whichChildren()
            #expect(children.count == 1)
            #expect(children.first?.process != first.id, "a new proxy process")
            guard let second = runtime.server(named: "isolated.target", as: IsolatedFaultTarget.self) else {
                Issue.record("the restarted child is not registered")
                return
            }
            let secondPID = try await workerPID(second)
            #expect(secondPID != firstPID, "a new worker OS process")
            #expect(try await second.call(.echo("again")) == .text("again"))
            #expect(runtime.statistics.restarts >= 1)
        }
    }

    @Test("a hung worker's call times out with the typed timeout error; the queue to a worker is bounded")
    func hungWorkerTimesOut() async throws {
        try await withIsolation(maxQueuedMessages: 3) { runtime in
            let target = try startTarget(runtime)
            _ = try await workerPID(target)
            // The worker's only scheduler thread blocks for a minute: it answers nothing.
            await #expect { _ = try await target.call(.stall(milliseconds: 60_000), timeout: .milliseconds(300)) } throws: { error in
                (error as? CallError)?.isTimeout == true
            }
            await #expect { _ = try await target.call(.echo("a"), timeout: .milliseconds(100)) } throws: { error in
                (error as? CallError)?.isTimeout == true
            }
            await #expect { _ = try await target.call(.echo("b"), timeout: .milliseconds(100)) } throws: { error in
                (error as? CallError)?.isTimeout == true
            }
            // Three calls wait for the hung worker: the fourth is refused at once.
            await #expect { _ = try await target.call(.echo("c"), timeout: .seconds(30)) } throws: { error in
                (error as? CallError)?.isMailboxFull == true
            }
            #expect(runtime.statistics.isolatedMessagesRefused >= 1)
        }
    }

    @Test("killing the proxy (or stopping it) leaves no worker OS process")
    func killingTheProxyKillsTheWorker() async throws {
        try await withIsolation { runtime in
            let killed = try startTarget(runtime)
            let killedPID = try await workerPID(killed)
            runtime.exit(killed.id, reason: .kill)
            #expect(await runtime.waitForExit(killed.id) == .killed)
            try await waitUntilGone(killedPID)
            #expect(!exists(killedPID))

            // A hung worker whose proxy is stopped in order is killed after the grace period.
            let hung = try startTarget(runtime)
            let hungPID = try await workerPID(hung)
            hung.cast(.add(1))
            _ = try? await hung.call(.stall(milliseconds: 600_000), timeout: .milliseconds(100))
            let probe = try TestProbe<String>(runtime: runtime)
            probe.exit(hung.id, reason: .shutdown)
            _ = await runtime.waitForExit(hung.id)
            try await waitUntilGone(hungPID)
            #expect(!exists(hungPID))
        }
    }

    /// A server that is not an `IsolatedServer`.
    private struct PlainServer: GenServer {
        mutating func handleCall(_ request: Int, from caller: Caller<Int>, context: ServerContext<PlainServer>) throws -> CallResult<Int> {
            .reply(request)
        }
    }

    /// A process that is not a server.
    private struct PlainProcess: Behavior {
        mutating func handle(_ message: Int, context: ProcessContext<Int>) throws {}
    }

    @Test("only a registered IsolatedServer can be isolated: anything else is refused with a clear error, and nothing is left running")
    func onlyRegisteredServers() async throws {
        try await withIsolation { runtime in
            #expect(throws: SpawnError.notIsolatable("PlainProcess")) {
                try runtime.spawn(PlainProcess(), options: SpawnOptions(isolation: .osProcess))
            }
            #expect { try PlainServer.start(PlainServer(), runtime: runtime, options: SpawnOptions(isolation: .osProcess)) } throws: { error in
                "\(error)".contains("cannot run in a worker OS process")
            }
            let bare = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 1)))
            defer { bare.shutdown() }
            #expect { try startTarget(bare) } throws: { error in
                "\(error)".contains("not registered")
            }
            #expect(runtime.processCount == 0 && bare.processCount == 0)
        }
    }

    @Test("a worker executable that cannot be started makes the start fail with a clear error")
    func missingExecutable() async throws {
        try await withIsolation(executable: "/nonexistent/siteflow") { runtime in
            #expect { try startTarget(runtime) } throws: { error in
                "\(error)".contains("did not start") && "\(error)".contains("/nonexistent/siteflow")
            }
            #expect(runtime.processCount == 0)
        }
    }

    @Test("a worker that exits non-zero ends its proxy with the exit code")
    func nonZeroExit() async throws {
        try await withIsolation { runtime in
            let target = try startTarget(runtime)
            let probe = try TestProbe<String>(runtime: runtime, trapExits: false)
            probe.monitor(target.id)
            await #expect { _ = try await target.call(.exit(code: 7), timeout: .seconds(30)) } throws: { error in
                (error as? CallError)?.isServerDown == true
            }
            let crash = isolatedError(try await downReason(probe))
            #expect(crash?.code == .exitedNonZero)
            #expect(crash?.exitCode == 7)
        }
    }

    @Test("an oversized request is refused with a typed error and the server lives on")
    func oversizedRequest() async throws {
        try await withIsolation(maxFrameBytes: 1024) { runtime in
            let target = try startTarget(runtime)
            await #expect { _ = try await target.call(.echo(String(repeating: "x", count: 4096)), timeout: .seconds(30)) } throws: { error in
                (error as? CallError)?.isRejected == true
            }
            #expect(try await target.call(.echo("small"), timeout: .seconds(30)) == .text("small"))
        }
    }

    @Test("a worker that sends an oversized or malformed frame is killed and its proxy exits with a protocol violation")
    func badFramesFromTheWorker() async throws {
        // Stand-in workers: a shell that writes raw bytes to descriptor 3 and waits.
        let frames = [
            "oversized": "printf '\\377\\377\\377\\177' >&3; exec sleep 30",
            "unknown kind": "printf '\\011\\000\\000\\000\\143\\000\\000\\000\\000\\000\\000\\000\\000' >&3; exec sleep 30",
        ]
        for (label, script) in frames {
            try await withIsolation(executable: "/bin/sh", arguments: ["-c", script]) { runtime in
                let target = try startTarget(runtime)
                let probe = try TestProbe<String>(runtime: runtime, trapExits: false)
                probe.monitor(target.id)
                let crash = isolatedError(try await downReason(probe))
                #expect(crash?.code == .protocolViolation, "\(label): \(String(describing: crash))")
                if let pid = crash?.workerPID { #expect(!exists(pid), "\(label): the worker was killed and reaped") }
            }
        }
    }

    @Test("siteflow serve --fault-injection: POST /_fault/trap-isolated traps the isolated worker; the node (same pid) answers and the worker is replaced")
    func trapIsolatedHook() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-isolated-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let node = try await NodeProcess.start(database: "sqlite:" + folder.appendingPathComponent("chat.db").path, options: ["--fault-injection"])
        defer { node.signal(SIGKILL) }
        func post(_ target: String) async throws -> String {
            try await rawHTTP(port: node.port, "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").head
        }
        // The hook answers 503 ("restarting; try again") while the target's supervisor is still
        // starting its replacement (its worker may already exist): a drill asks again.
        func trapIsolated() async throws -> String {
            var answer = ""
            for _ in 0..<200 {
                answer = try await post("/_fault/trap-isolated")
                guard answer.hasPrefix("HTTP/1.1 503") else { return answer }
                try await Task.sleep(for: .milliseconds(50))
            }
            return answer
        }
        let before = try await waitForWorkers(of: node.pid) { !$0.isEmpty }
        #expect(before.count == 1, "one isolated worker: \(before)")
        #expect(try await trapIsolated().hasPrefix("HTTP/1.1 202"))
        let after = try await waitForWorkers(of: node.pid) { workers in workers.count == 1 && workers.isDisjoint(with: before) }
        #expect(after.count == 1 && after.isDisjoint(with: before), "a new worker replaced \(before): \(after)")
        let page = try await rawHTTP(port: node.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(page.head.hasPrefix("HTTP/1.1 200"), "the node still answers")
        #expect(exists(node.pid), "the node's pid is unchanged")
        #expect(node.printed.contains("signaled 4 (SIGILL)") || node.printed.contains("signaled 5 (SIGTRAP)"), "the proxy's crash is logged with the signal")
        // Drills may trap it again and again (more often than the root supervisor's intensity
        // allows): the target's own supervisor restarts it each time and the node lives on.
        var last = after
        for _ in 0..<6 {
            #expect(try await trapIsolated().hasPrefix("HTTP/1.1 202"))
            let next = try await waitForWorkers(of: node.pid) { workers in workers.count == 1 && workers.isDisjoint(with: last) }
            #expect(next.count == 1 && next.isDisjoint(with: last), "replaced again: \(last) → \(next)")
            last = next
        }
        let again = try await rawHTTP(port: node.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(again.head.hasPrefix("HTTP/1.1 200"))
        node.signal(SIGTERM)
        #expect(await node.exitStatus() == 0)
    }

    /// The pids of `siteflow isolated-worker` children of process `pid`, once `condition` holds
    /// (or after 60 s).
    private func waitForWorkers(of pid: Int32, until condition: (Set<Int32>) -> Bool) async throws -> Set<Int32> {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            var workers = Set<Int32>()
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            for task in tasks {
                let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
                for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                    let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/cmdline"))) ?? Data()
                    if String(decoding: command, as: UTF8.self).contains("isolated-worker") { workers.insert(child) }
                }
            }
            if condition(workers) || ContinuousClock.now >= deadline { return workers }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
