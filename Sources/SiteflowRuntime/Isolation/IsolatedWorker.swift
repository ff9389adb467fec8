#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSiteflowRuntime

/// The worker OS process of an isolated process: the entry point an executable calls from its
/// hidden worker subcommand (`siteflow isolated-worker NAME`), and the loop that runs the server.
///
/// The worker dies with the node (`PR_SET_PDEATHSIG`), reads frames from descriptor 3, runs the
/// server on a small runtime of its own, writes replies back, and exits when its server ends
/// (code 0 for an orderly end, 1 otherwise) or when the node closes the socket (it then stops the
/// server in order, so `terminate` runs). A trap in a handler kills only this process; the
/// backtracer prints the crashing thread to standard error, which the node reads.
public enum IsolatedWorker {
    /// The environment variable that carries the node's pid to the worker.
    static let parentVariable = "SITEFLOW_ISOLATION_PARENT"

    /// Runs the server registered as `name` in `behaviors` until it ends; returns the process's
    /// exit code (2: unknown name, 3: the node broke the protocol).
    /// - Parameter frameLimit: the largest frame accepted (the node's
    ///   ``IsolationConfiguration/maxFrameBytes``; default 1 MiB).
    public static func run(name: String, behaviors: IsolatedBehaviors, frameLimit: Int = 1 << 20) -> Int32 {
        if let text = getenv(parentVariable), let parent = Int32(String(cString: text)) {
            _ = sf_stop_with_parent(parent, SIGKILL)
        }
        guard let entry = behaviors.entry(named: name) else {
            printError("isolated worker: no server is registered as \"\(name)\" (known: \(behaviors.names.joined(separator: ", ")))")
            return 2
        }
        return entry.runWorker(WorkerChannel(descriptor: WorkerLaunch.socketDescriptor, frameLimit: frameLimit))
    }

    /// The worker's loop for a server of type `S`.
    static func serve<S: IsolatedServer>(_ type: S.Type, channel: WorkerChannel) -> Int32 {
        let initial: S
        do {
            guard let frame = try channel.read() else { return 0 }
            guard frame.kind == .start else {
                printError("isolated worker: the first frame is \(frame.kind), not start")
                return 3
            }
            initial = try IsolationCodec.decode(S.self, from: frame.payload)
        } catch {
            printError("isolated worker: cannot read \(S.self)'s initial state: \(error)")
            return 3
        }
        let runtime = Runtime(configuration: RuntimeConfiguration(
            scheduler: SchedulerConfiguration(threads: 1, spinIterations: 100, name: "isolated"),
            maxProcesses: 1_000_000))
        let host: PID<Never>
        let server: ServerRef<S>
        do {
            host = try runtime.spawn(WorkerHost(), options: SpawnOptions(trapExits: true))
            server = try S.start(initial, runtime: runtime, options: SpawnOptions(parent: host.id))
        } catch {
            channel.write(exitFrame(orderly: false, "\(error)"))
            return 1
        }
        runtime.onExit(of: server.id) { _, reason in
            channel.write(exitFrame(orderly: reason.isOrderly, "\(reason)"))
            fflush(nil)
            _exit(reason.isOrderly ? 0 : 1)
        }
        while true {
            let frame: IsolationFrame
            do {
                guard let next = try channel.read() else { break }
                frame = next
            } catch {
                printError("isolated worker: \(error)")
                return 3
            }
            switch frame.kind {
            case .call:
                let id = frame.id
                guard let request = decode(S.Call.self, frame, channel: channel) else { continue }
                server.call(request) { result in
                    switch result {
                    case .success(let reply):
                        do {
                            channel.write(IsolationFrame(kind: .reply, id: id, payload: try IsolationCodec.encode(reply)))
                        } catch {
                            channel.write(IsolationFrame(kind: .callFailed, id: id, payload: Array("cannot encode the reply: \(error)".utf8)))
                        }
                    case .failure(let error):
                        channel.write(IsolationFrame(kind: .callFailed, id: id, payload: Array("\(error)".utf8)))
                    }
                }
            case .cast:
                if let message = decode(S.Cast.self, frame, channel: channel) { server.cast(message) }
            case .info:
                if let message = decode(S.Info.self, frame, channel: channel) { server.info(message) }
            default:
                printError("isolated worker: unexpected frame \(frame.kind)")
                return 3
            }
        }
        // The node closed the socket: stop the server in order (its terminate runs); the exit
        // hook above then ends this process.
        runtime.exit(server.id, reason: .shutdown, from: host.id)
        while true { pause() }
    }

    /// Decodes a frame's payload; a call that cannot be decoded fails (the worker goes on).
    private static func decode<Value: Decodable>(_ type: Value.Type, _ frame: IsolationFrame, channel: WorkerChannel) -> Value? {
        do {
            return try IsolationCodec.decode(type, from: frame.payload)
        } catch {
            let text = "cannot decode \(Value.self): \(error)"
            if frame.kind == .call {
                channel.write(IsolationFrame(kind: .callFailed, id: frame.id, payload: Array(text.utf8)))
            } else {
                printError("isolated worker: \(text)")
            }
            return nil
        }
    }

    private static func exitFrame(orderly: Bool, _ text: String) -> IsolationFrame {
        IsolationFrame(kind: .exit, id: 0, payload: [orderly ? 1 : 0] + Array(text.utf8))
    }

    private static func printError(_ text: String) {
        let line = Array((text + "\n").utf8)
        line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}

/// The parent of the server in a worker: it stops the server in order when the node goes away.
struct WorkerHost: Behavior {
    typealias Message = Never
    mutating func handle(_ message: Never, context: ProcessContext<Never>) throws {}
    static var kind: String { "isolated_worker_host" }
}

extension ServerRef {
    /// Sends `request` from outside any task and calls `completion` with the outcome (no
    /// timeout: the node's proxy has it). The request is queued before this returns, so calls
    /// made in a row reach the server in that order.
    func call(_ request: sending Server.Call, completion: @escaping @Sendable (Result<Server.Reply, CallError>) -> Void) {
        let mailbox = pid.mailbox
        let slot = ReplySlot<Server.Reply>.make(server: mailbox)
        switch mailbox.send(.call(request, Caller(slot: slot))) {
        case .queued: slot.markQueued()
        case .deadProcess: slot.complete(.failure(.noProcess))
        case .mailboxFull: slot.complete(.failure(.mailboxFull))
        }
        if let early = slot.takeEarlyResult() {
            completion(early)
            return
        }
        let runtime = mailbox.runtime
        // On the runtime's own workers: the server runs on the worker that takes this task, and
        // the reply resumes it there (no thread of Swift's global pool wakes up per call).
        Task(executorPreference: runtime.scheduler) {
            let outcome: Result<Server.Reply, CallError>
            do {
                outcome = .success(try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Server.Reply, any Error>) in
                    slot.arm(continuation, timeout: nil, runtime: runtime)
                })
            } catch let error as CallError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(.serverCrashed(error))
            }
            completion(outcome)
        }
    }
}
