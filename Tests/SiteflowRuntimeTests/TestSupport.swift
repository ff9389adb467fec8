import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

/// A runtime for one test, shut down when the body returns.
func withRuntime<R>(
    _ configuration: RuntimeConfiguration = RuntimeConfiguration(
        scheduler: SchedulerConfiguration(threads: 2), blockingScheduler: SchedulerConfiguration(threads: 2, spinIterations: 0)),
    _ body: (Runtime) async throws -> R
) async rethrows -> R {
    let runtime = Runtime(configuration: configuration)
    defer { runtime.shutdown() }
    return try await body(runtime)
}

/// Forwards every message to a probe, optionally transformed.
struct Forwarder<Message: Sendable>: Behavior {
    let target: PID<Message>
    func handle(_ message: Message, context: ProcessContext<Message>) throws {
        target.send(message)
    }
}

/// Crashes with `TestFailure` when it receives "crash", stops normally on "stop", else echoes to a probe.
struct Worker: Behavior {
    let probe: PID<String>?
    mutating func handle(_ message: String, context: ProcessContext<String>) throws {
        switch message {
        case "crash": throw TestFailure(message: "boom")
        case "stop": context.stop(.normal)
        case "shutdown": context.stop(.shutdown)
        default: probe?.send(message)
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Does nothing with its messages.
struct Idle: Behavior {
    func handle(_ message: Int, context: ProcessContext<Int>) throws {}
}
