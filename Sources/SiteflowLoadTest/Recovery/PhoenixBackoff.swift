/// The retry schedules of the official phoenix.js client (1.7, `socket.js`), which the recovery
/// mode's clients follow so that a measured rejoin storm is the one real browsers cause.
///
/// phoenix.js adds no jitter: every client whose socket closed at the same instant retries at
/// the same instants. The tries count from 1 (the first retry) and are reset when a socket
/// opens (reconnect) or a join is answered ok (rejoin).
public enum PhoenixBackoff {
    /// `reconnectAfterMs`: 10, 50, 100, 150, 200, 250, 500, 1000, 2000 ms, then 5 s for every
    /// later try.
    public static func reconnectAfter(tries: Int) -> Duration {
        .milliseconds(step(reconnectSteps, tries: tries, then: 5_000))
    }

    /// `rejoinAfterMs`: 1, 2, 5 s, then 10 s for every later try (a join refused, or not answered
    /// within the 10 s push timeout, is retried on this schedule).
    public static func rejoinAfter(tries: Int) -> Duration {
        .milliseconds(step(rejoinSteps, tries: tries, then: 10_000))
    }

    /// phoenix.js's default push timeout (`DEFAULT_TIMEOUT`), for joins and pushes.
    public static let pushTimeout = Duration.seconds(10)
    /// phoenix.js's default heartbeat interval; a heartbeat unanswered by the next one closes the
    /// socket and reconnects.
    public static let heartbeatInterval = Duration.seconds(30)

    private static let reconnectSteps: [Int64] = [10, 50, 100, 150, 200, 250, 500, 1000, 2000]
    private static let rejoinSteps: [Int64] = [1000, 2000, 5000]

    private static func step(_ steps: [Int64], tries: Int, then last: Int64) -> Int64 {
        // As `[…][tries - 1] || last` in JavaScript: out of range (0 included) is `last`.
        tries >= 1 && tries <= steps.count ? steps[tries - 1] : last
    }
}
