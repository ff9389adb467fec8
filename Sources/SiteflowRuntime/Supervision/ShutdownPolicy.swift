/// How a supervisor terminates one of its children: during an orderly stop of the supervisor,
/// when a strategy restarts siblings, or on ``SupervisorRef/terminateChild(id:)``.
///
/// ## Shutdown values
///
/// - ``brutalKill``: the child is ended at once with the untrappable ``ExitReason/kill``; its
///   `terminate` does not run and it exits with ``ExitReason/killed``.
/// - ``timeout(_:)``: the supervisor sends the child an ``ExitReason/shutdown`` exit signal and
///   waits up to the given duration for it to end. A child whose parent is the supervisor (every
///   child started through ``ChildStartContext/spawnOptions``) ends in order and runs its
///   `terminate`, even when it does not trap exits; a child that traps exits receives the signal
///   as a message and should stop itself. If the child is still alive when the duration has
///   passed, it is ended with ``ExitReason/kill``. The default for workers is
///   `.timeout(.seconds(5))` (``default``).
/// - ``infinity``: like ``timeout(_:)`` but the supervisor waits as long as the child takes. The
///   default for children of type ``ChildType/supervisor``, which need time to shut their own
///   children down. Use it for workers only with care: a worker that never ends blocks its
///   supervisor's shutdown for ever.
///
/// - Note: The supervisor waits for the child's exit to complete before it goes on (terminating
///   the next child, or starting replacements). ``ExitReason/kill`` takes effect between two
///   handler calls: an async handler that never returns cannot be ended, and the wait after a
///   kill is not bounded.
public struct ShutdownPolicy: Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case brutalKill
        case timeout(Duration)
        case infinity
    }

    private let code: Code

    /// End the child at once with the untrappable ``ExitReason/kill``.
    public static var brutalKill: ShutdownPolicy { ShutdownPolicy(code: .brutalKill) }

    /// Send ``ExitReason/shutdown``, wait up to `duration`, then ``ExitReason/kill``. A negative
    /// duration counts as zero.
    public static func timeout(_ duration: Duration) -> ShutdownPolicy {
        ShutdownPolicy(code: .timeout(max(duration, .zero)))
    }

    /// Send ``ExitReason/shutdown`` and wait for the child however long it takes.
    public static var infinity: ShutdownPolicy { ShutdownPolicy(code: .infinity) }

    /// The default for workers: `.timeout(.seconds(5))`, as in OTP.
    public static var `default`: ShutdownPolicy { .timeout(.seconds(5)) }

    /// What the supervisor does: first signal, then how long it waits before killing.
    var plan: (firstSignal: ExitReason, killAfter: Duration?) {
        switch code {
        case .brutalKill: return (.kill, nil)
        case .timeout(let duration): return (.shutdown, duration)
        case .infinity: return (.shutdown, nil)
        }
    }

    /// `brutalKill`, `timeout(…)` or `infinity`.
    public var description: String {
        switch code {
        case .brutalKill: return "brutalKill"
        case .timeout(let duration): return "timeout(\(duration))"
        case .infinity: return "infinity"
        }
    }
}
