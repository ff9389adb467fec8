public import Histogram

/// The outcome of a load test (one process, or several merged).
///
/// Latency is the round trip from a client's `new_msg` push to that client receiving its own
/// broadcast of it; `replyLatency` is push → `phx_reply`; `fanoutLatency` is push → *every*
/// client receiving the broadcast (all clients share the machine's monotonic clock), so its
/// maximum is the time one broadcast takes to reach the whole room. All in microseconds.
public struct LoadTestResult: Sendable, Codable {
    /// Clients that completed the WebSocket upgrade.
    public var connected = 0
    /// Clients whose join was answered ok.
    public var joined = 0
    /// Connection attempts that failed (refused upgrade, TCP error).
    public var connectFailures = 0
    /// Joins answered with an error.
    public var joinErrors = 0
    /// `new_msg` pushes sent.
    public var sent = 0
    /// Pushes whose sender received its own broadcast.
    public var delivered = 0
    /// Broadcast frames received by all clients together (the fan-out).
    public var received = 0
    /// Pushes answered with an error reply.
    public var errorReplies = 0
    /// Connections the server closed during the run.
    public var closedByServer = 0
    /// Push → own broadcast, µs.
    public var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    /// Push → reply, µs.
    public var replyLatency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    /// Push → each receiving client, µs (every receiver, not just the sender).
    public var fanoutLatency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    /// Seconds spent sending.
    public var sendingSeconds = 0.0
    /// The recovery mode's figures (`nil` for the plain load test).
    public var recovery: RecoveryResult?

    /// An empty result.
    public init() {}

    /// Pushes sent whose broadcast never came back to the sender.
    public var lost: Int { max(0, sent - delivered) }

    /// Adds another process's result to this one.
    public mutating func merge(_ other: LoadTestResult) {
        connected += other.connected
        joined += other.joined
        connectFailures += other.connectFailures
        joinErrors += other.joinErrors
        sent += other.sent
        delivered += other.delivered
        received += other.received
        errorReplies += other.errorReplies
        closedByServer += other.closedByServer
        latency.add(other.latency)
        replyLatency.add(other.replyLatency)
        fanoutLatency.add(other.fanoutLatency)
        sendingSeconds = max(sendingSeconds, other.sendingSeconds)
        if let other = other.recovery {
            if recovery == nil { recovery = RecoveryResult() }
            recovery?.merge(other)
        }
    }

    /// The final report, as printed by `siteflow loadtest`.
    public var report: String {
        if let recovery { return "sockets: \(connected) opened (first connections and reconnects), \(connectFailures) connection attempts failed\n" + recovery.report }
        func ms(_ micros: UInt64) -> String {
            let value = Double(micros) / 1000
            return value < 10 ? String(Double(Int(value * 100)) / 100) : String(Double(Int(value * 10)) / 10)
        }
        func line(_ name: String, _ histogram: Histogram<UInt64>) -> String {
            guard histogram.totalCount > 0 else { return "\(name): no samples" }
            return "\(name) (ms, \(histogram.totalCount) samples): p50 \(ms(histogram.valueAtPercentile(50))) "
                + "p90 \(ms(histogram.valueAtPercentile(90))) p99 \(ms(histogram.valueAtPercentile(99))) "
                + "p99.9 \(ms(histogram.valueAtPercentile(99.9))) max \(ms(histogram.max))"
        }
        let throughput = sendingSeconds > 0 ? Int(Double(received) / sendingSeconds) : 0
        return """
            clients: \(connected) connected, \(joined) joined, \(connectFailures) failed to connect, \(joinErrors) join errors, \(closedByServer) closed by the server
            messages: \(sent) sent, \(delivered) delivered back to their sender, \(lost) lost, \(errorReplies) error replies
            fan-out: \(received) broadcast frames received (\(throughput)/s)
            \(line("round trip push → own broadcast", latency))
            \(line("push → reply", replyLatency))
            \(line("push → every receiver (fan-out)", fanoutLatency))
            """
    }
}
