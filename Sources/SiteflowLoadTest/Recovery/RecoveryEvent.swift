/// One disconnect event as the load tester saw it: from the first close seen while every
/// client was joined (steady state) until every client that went down was joined again.
///
/// Instants are monotonic nanoseconds (`CLOCK_MONOTONIC`), which every process on the machine
/// shares, so the events of several client processes can be merged.
public struct RecoveryEvent: Sendable, Codable, Equatable {
    /// When the first close was seen.
    public var start: UInt64
    /// The clients that count towards the fractions (all of the load test's, once merged).
    public var clients: Int
    /// For each client that went down, when it was last joined again within the event.
    public var rejoinedAt: [UInt64]
    /// Clients that went down and were not joined again before the event was closed (the run
    /// ended first).
    public var stillDown: Int

    /// Creates an event; see each property.
    public init(start: UInt64, clients: Int, rejoinedAt: [UInt64], stillDown: Int) {
        self.start = start
        self.clients = clients
        self.rejoinedAt = rejoinedAt
        self.stillDown = stillDown
    }

    /// Clients that went down during the event.
    public var wentDown: Int { rejoinedAt.count + stillDown }

    /// The instant from which at least `fraction` (0…1) of ``clients`` were joined again; the
    /// event's start when fewer than that ever went down; `nil` when it was never reached.
    public func instant(joined fraction: Double) -> UInt64? {
        // (The small margin keeps 0.99 × 100 at 99 despite binary floating point.)
        let mayBeDown = clients - Int((Double(clients) * fraction - 1e-9).rounded(.up))
        let needed = wentDown - max(0, mayBeDown)
        guard needed > 0 else { return start }
        guard needed <= rejoinedAt.count else { return nil }
        return max(start, rejoinedAt.sorted()[needed - 1])
    }

    /// The time from the first close until `fraction` of the clients were joined again, or `nil`
    /// when that never happened.
    public func timeUntil(joined fraction: Double) -> Duration? {
        instant(joined: fraction).map { .nanoseconds(Int64($0 - start)) }
    }

    /// Merges the events several processes saw into events of the whole load test: events that
    /// start within `window` of the first of a group are one event, over `clients` clients.
    public static func merged(_ events: [RecoveryEvent], clients: Int, window: Duration = .seconds(2)) -> [RecoveryEvent] {
        let windowNanos = UInt64(window.components.seconds) * 1_000_000_000 + UInt64(window.components.attoseconds / 1_000_000_000)
        var result: [RecoveryEvent] = []
        for event in events.sorted(by: { $0.start < $1.start }) {
            if let last = result.last, event.start <= last.start + windowNanos {
                result[result.count - 1].rejoinedAt += event.rejoinedAt
                result[result.count - 1].stillDown += event.stillDown
            } else {
                result.append(RecoveryEvent(start: event.start, clients: clients, rejoinedAt: event.rejoinedAt, stillDown: event.stillDown))
            }
        }
        return result
    }
}
