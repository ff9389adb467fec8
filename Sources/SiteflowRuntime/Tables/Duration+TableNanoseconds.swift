extension Duration {
    /// This duration as whole nanoseconds, truncated toward zero, clamped to `0...UInt64.max`.
    var tableNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let (wholeNanos, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let fraction = attoseconds > 0 ? UInt64(attoseconds / 1_000_000_000) : 0
        let (total, overflow2) = wholeNanos.addingReportingOverflow(fraction)
        return overflow2 ? .max : total
    }
}
