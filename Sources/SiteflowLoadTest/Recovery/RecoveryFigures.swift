/// One disconnect event's figures in milliseconds, as the recovery mode's JSON result carries
/// them for scripts (`scripts/measure-recovery.py` prints them as a table).
public struct RecoveryFigures: Sendable, Codable, Equatable {
    /// Clients that went down, and all clients.
    public var wentDown: Int
    /// All clients of the load test.
    public var clients: Int
    /// Clients never joined again before the run ended.
    public var stillDown: Int
    /// When the first close was seen (monotonic ns: `CLOCK_MONOTONIC`, as a script's
    /// `time.monotonic()` on Linux, so that a script can time a disruption it caused itself).
    public var firstCloseAt: UInt64
    /// The first close, after sending started.
    public var firstCloseMs: Double?
    /// From the first close until 99% of the clients were joined again (`nil`: never).
    public var joined99Ms: Double?
    /// From the first close until every client was joined again (`nil`: never).
    public var joined100Ms: Double?
    /// From the disruption the load tester triggered until every client was joined again.
    public var joined100AfterDisruptionMs: Double?
    /// p99 push → ack of the pushes sent in the 10 s before, and how many there were.
    public var p99BeforeMs: Double?
    /// Pushes in the 10 s before.
    public var samplesBefore: Int
    /// p99 push → ack of the pushes sent in the 10 s after recovery.
    public var p99AfterMs: Double?
    /// Pushes in the 10 s after.
    public var samplesAfter: Int

    /// The figures of `event` within `result`.
    public init(event: RecoveryEvent, in result: RecoveryResult) {
        func ms(_ duration: Duration?) -> Double? {
            duration.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        }
        func ms(from start: UInt64, to end: UInt64?) -> Double? {
            end.flatMap { $0 >= start ? Double($0 - start) / 1e6 : nil }
        }
        wentDown = event.wentDown
        clients = event.clients
        stillDown = event.stillDown
        firstCloseAt = event.start
        firstCloseMs = result.sendingStartedAt > 0 ? ms(from: result.sendingStartedAt, to: event.start) : nil
        joined99Ms = ms(event.timeUntil(joined: 0.99))
        joined100Ms = ms(event.timeUntil(joined: 1))
        joined100AfterDisruptionMs = result.disruptedAt.flatMap { ms(from: $0, to: event.instant(joined: 1)) }
        let before = result.roundTripBefore(event)
        let after = result.roundTripAfter(event)
        p99BeforeMs = before.map { Double($0.micros) / 1000 }
        samplesBefore = before?.samples ?? 0
        p99AfterMs = after.map { Double($0.micros) / 1000 }
        samplesAfter = after?.samples ?? 0
    }
}
