import SiteflowRuntime
import Logging

/// The process that drives a ``JobEngine``: one ``JobEngine/tick()`` per poll interval, on the
/// runtime's timers instead of a bare task sleeping in a loop.
///
/// Ticks never overlap: the next one is armed when the previous one has ended (an
/// ``AsyncGenServer`` handles one message at a time), so a slow store delays polling rather than
/// piling ticks up. ``Call/stop`` answers once the tick in progress (if any) has ended.
struct JobTicker: AsyncGenServer {
    /// Requests to the ticker.
    enum Call: Sendable {
        /// Stop ticking; answered after the tick in progress, if any.
        case stop
    }

    /// Timer messages.
    enum Info: Sendable {
        /// Time for the next tick.
        case tick
    }

    /// The introspection label.
    static var kind: String { "job_ticker" }

    let engine: JobEngine
    let interval: Duration
    let logger: Logger
    var timer: TimerHandle?

    init(engine: JobEngine, interval: Duration, logger: Logger) {
        self.engine = engine
        self.interval = interval
        self.logger = logger
    }

    /// Ticks once at once (as the loop it replaces did).
    mutating func initialize(context: ServerContext<JobTicker>) async throws {
        timer = context.runtime.sendAfter(.info(.tick), to: context.pid, after: .zero)
    }

    /// Stops: cancels the next tick and ends the process.
    mutating func handleCall(_ request: Call, from caller: Caller<Void>, context: ServerContext<JobTicker>) async throws -> CallResult<Void> {
        if let timer { context.runtime.timers.cancel(timer) }
        timer = nil
        return .stop(.normal, reply: ())
    }

    /// Runs one tick (a failure is logged; the next tick retries), then arms the next one.
    mutating func handleInfo(_ message: Info, context: ServerContext<JobTicker>) async throws {
        do {
            _ = try await engine.tick()
        } catch {
            logger.warning("job tick failed", metadata: [LogKey.error: "\(error)"])
        }
        timer = context.runtime.sendAfter(.info(.tick), to: context.pid, after: interval)
    }

    /// Cancels the next tick, however the ticker ends.
    mutating func terminate(reason: ExitReason, context: ServerContext<JobTicker>) async {
        if let timer { context.runtime.timers.cancel(timer) }
    }
}
