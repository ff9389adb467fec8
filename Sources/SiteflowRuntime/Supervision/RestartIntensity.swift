/// How many restarts a supervisor may perform in a time window before it gives up.
///
/// If more than ``maxRestarts`` restarts happen within ``period``, the supervisor terminates all
/// its children (in reverse start order) and exits with ``ExitReason/shutdown``; its own
/// supervisor then applies that child's ``RestartPolicy`` (a `permanent` nested supervisor is
/// restarted, a `transient` one is not, since `shutdown` is an orderly reason). This is how a
/// failure that restarts cannot repair climbs the tree instead of looping for ever.
///
/// A restart at time `t` is counted while `now - t <= period` (OTP's rule). Time is read from the
/// supervisor's ``SupervisorClock``.
public struct RestartIntensity: Sendable, Hashable {
    /// Restarts allowed within ``period``; one more makes the supervisor give up. `0` means any
    /// restart makes it give up. Default: 3 (Elixir's default). Negative values count as 0.
    public var maxRestarts: Int
    /// The sliding window restarts are counted in. Default: 5 seconds (Elixir's default).
    public var period: Duration

    /// Creates an intensity; see each property.
    public init(maxRestarts: Int = 3, period: Duration = .seconds(5)) {
        self.maxRestarts = max(0, maxRestarts)
        self.period = max(period, .zero)
    }
}
