extension Duration {
    /// This duration in whole nanoseconds, truncated toward zero and clamped to `0...UInt64.max`
    /// (a negative duration becomes 0): how every clock reading and deadline is computed.
    package var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let fraction = UInt64(max(attoseconds, 0) / 1_000_000_000)
        let (total, overflow2) = whole.addingReportingOverflow(fraction)
        return overflow2 ? .max : total
    }
}
