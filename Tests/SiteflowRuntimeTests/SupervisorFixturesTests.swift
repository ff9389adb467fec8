import SiteflowRuntime
import SiteflowRuntimeTesting
import Synchronization
import Testing

// Fixtures shared by the supervisor specifications (no tests in this file).

/// What the supervised test children report, in the order it happens.
enum ChildEvent: Sendable, Equatable, CustomStringConvertible {
    /// The child's start function ran (the child is spawned).
    case started(String)
    /// The child's `terminate` ran with this reason (not called when killed).
    case terminated(String, ExitReason)

    var description: String {
        switch self {
        case .started(let id): return "started(\(id))"
        case .terminated(let id, let reason): return "terminated(\(id), \(reason))"
        }
    }
}

/// Builds child specs whose processes report starts and terminations to one event queue, and
/// remembers each child's latest typed address so a test can make it crash or stop.
final class ChildHarness: Sendable {
    let events = EventQueue<ChildEvent>()
    private let addresses = Mutex<[String: PID<String>]>([:])

    /// A supervised ``TestChild`` (or a never-stopping ``StubbornChild`` when `stubborn`).
    func spec(
        _ id: String, restart: RestartPolicy = .permanent, shutdown: ShutdownPolicy = .default, stubborn: Bool = false
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown) { context in
            let pid: PID<String>
            if stubborn {
                var options = context.spawnOptions
                options.trapExits = true
                pid = try context.runtime.spawn(StubbornChild(id: id, events: self.events), options: options)
            } else {
                pid = try context.runtime.spawn(TestChild(id: id, events: self.events), options: context.spawnOptions)
            }
            self.addresses.withLock { $0[id] = pid }
            self.events.push(.started(id))
            return pid.id
        }
    }

    /// A child whose start function throws `TestFailure("cannot start <id>")`.
    func failingSpec(_ id: String) -> ChildSpec {
        ChildSpec(id: id) { _ in throw TestFailure(message: "cannot start \(id)") }
    }

    /// The latest process started for `id`.
    func pid(_ id: String) throws -> PID<String> {
        try #require(addresses.withLock { $0[id] })
    }

    /// Sends a command ("crash", "stop", "shutdown") to the latest process of `id`.
    func send(_ command: String, to id: String) throws {
        try pid(id).send(command)
    }

    /// Awaits exactly these events, in this order.
    func expect(_ expected: [ChildEvent], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var seen: [ChildEvent] = []
        for _ in expected { seen.append(try await events.next(within: .seconds(10))) }
        #expect(seen == expected, sourceLocation: sourceLocation)
    }

    /// Checks no event is pending once the supervisor has handled everything sent before
    /// (a request is answered only after the handler in progress, e.g. a restart, finished).
    func expectQuiet(after supervisor: SupervisorRef, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        _ = try await supervisor.whichChildren()
        #expect(events.count == 0, "unexpected extra events", sourceLocation: sourceLocation)
    }
}

/// A worker: "crash" throws, "stop" stops normally, "shutdown" stops with `shutdown`;
/// `terminate` reports to the harness.
struct TestChild: Behavior {
    let id: String
    let events: EventQueue<ChildEvent>

    mutating func handle(_ message: String, context: ProcessContext<String>) throws {
        switch message {
        case "crash": throw TestFailure(message: "boom")
        case "stop": context.stop(.normal)
        case "shutdown": context.stop(.shutdown)
        default: break
        }
    }

    func terminate(reason: ExitReason, context: ProcessContext<String>) {
        events.push(.terminated(id, reason))
    }
}

/// A worker that traps exits and ignores them: only `kill` ends it.
struct StubbornChild: Behavior {
    let id: String
    let events: EventQueue<ChildEvent>

    func handle(_ message: String, context: ProcessContext<String>) throws {}

    func terminate(reason: ExitReason, context: ProcessContext<String>) {
        events.push(.terminated(id, reason))
    }
}

extension SupervisorError.Code {
    /// The code of `error` if it is a ``SupervisorError``.
    static func of(_ error: any Error) -> SupervisorError.Code? {
        (error as? SupervisorError)?.code
    }
}

/// Sends the exit signal it is told to, from itself (Erlang's `exit(Target, Reason)`): used as a
/// supervisor's parent.
struct ExitSender: Behavior {
    struct Message: Sendable {
        let target: ProcessID
        let reason: ExitReason
    }

    func handle(_ message: Message, context: ProcessContext<Message>) throws {
        context.exit(message.target, reason: message.reason)
    }
}

/// A gate a start function can wait at, so a test can hold a supervisor busy in a handler.
final class AsyncGate: Sendable {
    private let arrived = EventQueue<Void>()
    private let opened = OneShotFlag()

    /// Called by the code being held: signals arrival, then waits for ``open()``.
    func wait() async {
        arrived.push(())
        await opened.wait()
    }

    /// Waits until some code waits at the gate.
    func untilWaiting() async throws {
        try await arrived.next(within: .seconds(10))
    }

    func open() { opened.set() }
}

/// A flag awaited by any number of tasks, set once.
final class OneShotFlag: Sendable {
    private let state = Mutex<(set: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func set() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.set = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.set { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
