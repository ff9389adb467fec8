import CSiteflowRuntime

/// Monotonic time for the benchmarks.
struct Stopwatch {
    private let start = sf_now_ns()

    /// Seconds since the stopwatch was created.
    var seconds: Double { Double(sf_now_ns() &- start) / 1e9 }
}
