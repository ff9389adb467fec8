/// The monotonic time a supervisor reads to count restarts against its ``RestartIntensity``.
///
/// Inject your own to make restart windows deterministic in tests (advance it instead of
/// sleeping). Only differences between two readings matter; the origin is arbitrary.
public protocol SupervisorClock: Sendable {
    /// The current time as a duration since an arbitrary, fixed origin; never decreases.
    func now() -> Duration
}

/// The default ``SupervisorClock``: the system's monotonic `ContinuousClock`, measured from the
/// moment the clock value was created.
public struct MonotonicSupervisorClock: SupervisorClock {
    private let origin: ContinuousClock.Instant

    /// Creates a clock whose origin is now.
    public init() {
        origin = ContinuousClock.now
    }

    /// Time elapsed since this clock was created.
    public func now() -> Duration {
        ContinuousClock.now - origin
    }
}
