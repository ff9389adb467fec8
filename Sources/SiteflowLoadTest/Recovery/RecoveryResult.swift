/// What the recovery mode measured (one process, or several merged): the disconnect events and
/// how fast the clients were joined again, the keyed pushes and their fate, the round trips,
/// and the history audit.
public struct RecoveryResult: Sendable, Codable {
    /// Clients of the load test.
    public var clients = 0
    /// The disconnect events, merged over processes (see ``RecoveryEvent/merged(_:clients:window:)``).
    public var events: [RecoveryEvent] = []
    /// When sending started (monotonic ns).
    public var sendingStartedAt: UInt64 = 0
    /// The disruption the load tester triggered, if any, and when (monotonic ns).
    public var disruption: Disruption = .none
    /// When ``disruption`` was triggered.
    public var disruptedAt: UInt64?
    /// Why the disruption could not be triggered, if it could not.
    public var disruptionError: String?
    /// Keyed messages the clients created.
    public var messages = 0
    /// `new_msg` frames sent, resends included.
    public var sends = 0
    /// Sends of a message already sent once (after a rejoin, an `unavailable` reply or a 10 s
    /// push timeout), with the same key.
    public var resends = 0
    /// Messages acknowledged with `{"id"}`.
    public var acknowledged = 0
    /// Messages refused for good (an error reply other than `unavailable`), by reason.
    public var failedForGood: [String: Int] = [:]
    /// `unavailable` replies (each retried).
    public var unavailableReplies = 0
    /// Messages neither acknowledged nor refused when the run ended.
    public var unresolved = 0
    /// Sockets opened again after a close.
    public var reconnects = 0
    /// Joins answered ok after the first one.
    public var rejoins = 0
    /// Joins refused, by reason (each retried on the rejoin schedule).
    public var joinRefusals: [String: Int] = [:]
    /// Joins not answered within 10 s (retried on the rejoin schedule).
    public var joinTimeouts = 0
    /// Sockets the server closed with 1000, after which phoenix.js does not reconnect.
    public var closedNormallyByServer = 0
    /// Clients joined when the run ended.
    public var joinedAtEnd = 0
    /// Acknowledged message ids by topic.
    public var acknowledgedIDs: [String: [Int]] = [:]
    /// Round trips of acknowledged pushes.
    public var roundTrips = RoundTripSamples()
    /// What reading the rooms' history found (the parent process reads it).
    public var audit: HistoryAudit?
    /// Each event's figures in milliseconds (filled by ``mergeEvents(clients:)``, for scripts).
    public var figures: [RecoveryFigures] = []

    /// An empty result.
    public init() {}

    /// Pushes refused for good, all reasons together.
    public var failedForGoodCount: Int { failedForGood.values.reduce(0, +) }

    /// Adds another process's result (its events are kept as they are; call
    /// ``mergeEvents(clients:)`` once all are added).
    public mutating func merge(_ other: RecoveryResult) {
        clients += other.clients
        events += other.events
        sendingStartedAt = sendingStartedAt == 0 ? other.sendingStartedAt : min(sendingStartedAt, other.sendingStartedAt == 0 ? .max : other.sendingStartedAt)
        if disruptedAt == nil, other.disruptedAt != nil {
            disruption = other.disruption
            disruptedAt = other.disruptedAt
        }
        disruptionError = disruptionError ?? other.disruptionError
        messages += other.messages
        sends += other.sends
        resends += other.resends
        acknowledged += other.acknowledged
        failedForGood.merge(other.failedForGood, uniquingKeysWith: +)
        unavailableReplies += other.unavailableReplies
        unresolved += other.unresolved
        reconnects += other.reconnects
        rejoins += other.rejoins
        joinRefusals.merge(other.joinRefusals, uniquingKeysWith: +)
        joinTimeouts += other.joinTimeouts
        closedNormallyByServer += other.closedNormallyByServer
        joinedAtEnd += other.joinedAtEnd
        acknowledgedIDs.merge(other.acknowledgedIDs, uniquingKeysWith: +)
        roundTrips.add(other.roundTrips)
    }

    /// Merges the events of all processes into events of the whole load test.
    public mutating func mergeEvents(clients: Int) {
        events = RecoveryEvent.merged(events, clients: clients)
        figures = events.map { RecoveryFigures(event: $0, in: self) }
    }

    /// The p99 round trip (µs, samples) of pushes sent in the 10 s before `event` (before the
    /// disruption, when the load tester triggered it just before the event).
    public func roundTripBefore(_ event: RecoveryEvent) -> (micros: UInt64, samples: Int)? {
        var end = event.start
        if let disruptedAt, disruptedAt <= event.start, event.start - disruptedAt < 10_000_000_000 { end = disruptedAt }
        return roundTrips.percentile(99, from: end >= Self.window ? end - Self.window : 0, to: end)
    }

    /// The p99 round trip (µs, samples) of pushes sent in the 10 s after every client of
    /// `event` was joined again (after 99% when not all were).
    public func roundTripAfter(_ event: RecoveryEvent) -> (micros: UInt64, samples: Int)? {
        guard let recovered = event.instant(joined: 1) ?? event.instant(joined: 0.99) else { return nil }
        return roundTrips.percentile(99, from: recovered, to: recovered + Self.window)
    }

    private static let window: UInt64 = 10_000_000_000

    /// The figures in a few lines, as `siteflow loadtest --recovery` prints them.
    public var report: String {
        func ms(_ duration: Duration?) -> String {
            guard let duration else { return "never" }
            let (seconds, attoseconds) = duration.components
            return String(Double(Int((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10)) / 10) + " ms"
        }
        func ms(micros: UInt64) -> String { String(Double(Int(Double(micros) / 100)) / 10) + " ms" }
        func p99(_ value: (micros: UInt64, samples: Int)?) -> String {
            value.map { "\(ms(micros: $0.micros)) (\($0.samples) pushes)" } ?? "no samples"
        }
        var lines: [String] = []
        var disruptionLine = "disruption: \(disruption.rawValue)"
        if let disruptedAt, sendingStartedAt > 0 {
            disruptionLine += " at \(ms(.nanoseconds(Int64(disruptedAt) - Int64(sendingStartedAt)))) after sending started"
        }
        if let disruptionError { disruptionLine += " — FAILED: \(disruptionError)" }
        lines.append(disruptionLine)
        if events.isEmpty { lines.append("disconnect events: none seen") }
        for (number, event) in events.enumerated() {
            var line = "event \(number + 1): \(event.wentDown) of \(event.clients) clients went down"
            if sendingStartedAt > 0 {
                line += ", first close \(ms(.nanoseconds(Int64(event.start) - Int64(sendingStartedAt)))) after sending started"
            }
            line += "; joined again: 99% after \(ms(event.timeUntil(joined: 0.99))), 100% after \(ms(event.timeUntil(joined: 1)))"
            if event.stillDown > 0 { line += " (\(event.stillDown) never rejoined)" }
            if let disruptedAt, disruptedAt <= event.start, let all = event.instant(joined: 1) {
                line += "; 100% \(ms(.nanoseconds(Int64(all - disruptedAt)))) after the disruption"
            }
            lines.append(line)
            lines.append("  p99 push → ack: \(p99(roundTripBefore(event))) in the 10 s before, \(p99(roundTripAfter(event))) in the 10 s after recovery")
        }
        lines.append("keyed messages: \(messages) created, \(acknowledged) acknowledged, \(failedForGoodCount) failed for good, \(unresolved) unresolved at the end; \(sends) sends (\(resends) resends), \(unavailableReplies) 'unavailable' replies")
        if !failedForGood.isEmpty {
            lines.append("  failed for good: " + failedForGood.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
        }
        var clientsLine = "clients: \(joinedAtEnd) of \(clients) joined at the end; \(reconnects) reconnects, \(rejoins) rejoins, \(joinTimeouts) join timeouts"
        if closedNormallyByServer > 0 { clientsLine += ", \(closedNormallyByServer) closed by the server with 1000 (phoenix.js does not reconnect)" }
        lines.append(clientsLine)
        if !joinRefusals.isEmpty {
            lines.append("  joins refused: " + joinRefusals.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
        }
        if let audit {
            var line = "history: \(audit.acknowledged) acknowledged ids checked in \(audit.roomsRead) rooms (\(audit.messagesRead) messages of this run read): "
                + "\(audit.missing) missing, \(audit.duplicates) duplicates (\(audit.duplicatedKeys) keys stored more than once)"
            if !audit.missingExamples.isEmpty { line += "; missing e.g. ids \(audit.missingExamples.map(String.init).joined(separator: ", "))" }
            if !audit.roomsUnread.isEmpty { line += "; history not readable in \(audit.roomsUnread.joined(separator: ", "))" }
            lines.append(line)
        } else {
            lines.append("history: not audited")
        }
        return lines.joined(separator: "\n")
    }
}
