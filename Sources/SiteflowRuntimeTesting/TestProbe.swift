public import SiteflowRuntime
import Synchronization

/// A process for tests: everything it receives — messages and system signals — is recorded, and
/// the test awaits it with ``next(within:)``, so tests wait on events instead of sleeping.
///
/// The probe traps exits, so linking it to a process under test turns that process's exit into a
/// ``ProbeEvent/signal(_:)`` instead of killing the probe.
public final class TestProbe<Message: Sendable>: Sendable {
    /// The probe's address: send it messages, link it, or let processes under test reply to it.
    public let pid: PID<Message>
    private let queue: EventQueue<ProbeEvent<Message>>
    private let runtime: Runtime

    /// Spawns the probe on `runtime`.
    public init(runtime: Runtime, trapExits: Bool = true) throws {
        let queue = EventQueue<ProbeEvent<Message>>()
        self.queue = queue
        self.runtime = runtime
        pid = try runtime.spawn(ProbeBehavior(queue: queue), options: SpawnOptions(trapExits: trapExits))
    }

    /// The next event, or ``ProbeError/timedOut`` if none arrives within `timeout` (a bound on a
    /// wait for an event, not a timing assertion).
    public func nextEvent(within timeout: Duration = .seconds(10)) async throws -> ProbeEvent<Message> {
        try await queue.next(within: timeout)
    }

    /// Links the probe with `target`; the probe traps exits, so `target`'s exit becomes an event.
    public func link(_ target: ProcessID) {
        pid.id.isAlive ? runtime.link(pid.id, target) : ()
    }

    /// Monitors `target`; its `down` becomes an event.
    @discardableResult
    public func monitor(_ target: ProcessID) -> MonitorReference {
        runtime.monitor(target, by: pid.id)
    }

    /// Sends an exit signal to `target` as if from the probe's process.
    public func exit(_ target: ProcessID, reason: ExitReason) {
        runtime.exit(target, reason: reason, from: pid.id)
    }

    /// Events received and not yet taken.
    public var pendingCount: Int { queue.count }

    /// The next ordinary message; fails if a signal comes first.
    public func next(within timeout: Duration = .seconds(10)) async throws -> Message {
        switch try await nextEvent(within: timeout) {
        case .message(let message): return message
        case .signal(let signal): throw ProbeError.unexpected("signal \(signal)")
        }
    }

    /// The next system signal; fails if an ordinary message comes first.
    public func nextSignal(within timeout: Duration = .seconds(10)) async throws -> Signal {
        switch try await nextEvent(within: timeout) {
        case .signal(let signal): return signal
        case .message(let message): throw ProbeError.unexpected("message \(message)")
        }
    }
}

/// What a probe received.
public enum ProbeEvent<Message: Sendable>: Sendable {
    case message(Message)
    case signal(Signal)
}

/// Why a probe wait failed.
public enum ProbeError: Error, CustomStringConvertible {
    case timedOut
    case unexpected(String)

    public var description: String {
        switch self {
        case .timedOut: return "no event arrived within the timeout"
        case .unexpected(let what): return "unexpected \(what)"
        }
    }
}

private struct ProbeBehavior<Message: Sendable>: Behavior {
    let queue: EventQueue<ProbeEvent<Message>>

    func handle(_ message: Message, context: ProcessContext<Message>) throws {
        queue.push(.message(message))
    }

    func handleSignal(_ signal: Signal, context: ProcessContext<Message>) throws {
        queue.push(.signal(signal))
    }

    static var kind: String { "test_probe" }
}
