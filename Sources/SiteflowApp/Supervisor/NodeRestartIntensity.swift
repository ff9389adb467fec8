/// OTP's restart intensity for the node supervisor process (the runtime's supervisors have
/// their own, ``SiteflowRuntime/RestartIntensity``): at most `maxRestarts` restarts within any
/// `window`; one more means the fault is not transient and restarting is pointless.
///
/// A value type with no clock of its own: callers pass the time of each restart, so it is tested
/// without waiting.
public struct NodeRestartIntensity: Sendable, Equatable {
    /// The most restarts allowed within ``window``.
    public let maxRestarts: Int
    /// The sliding window the restarts are counted in.
    public let window: Duration
    private var restarts: [Duration] = []

    /// Allows `maxRestarts` (≥ 0) restarts within `window` (> 0).
    public init(maxRestarts: Int, window: Duration) {
        self.maxRestarts = max(0, maxRestarts)
        self.window = window
    }

    /// Records a restart wanted at `time` (time since any fixed origin; monotonic). Returns
    /// `false`, and records nothing, when it would exceed the intensity.
    public mutating func allowRestart(at time: Duration) -> Bool {
        restarts.removeAll { time - $0 >= window }
        guard restarts.count < maxRestarts else { return false }
        restarts.append(time)
        return true
    }

    /// Restarts counted in the window that ends at `time`.
    public func recentRestarts(at time: Duration) -> Int {
        restarts.filter { time - $0 < window }.count
    }
}
